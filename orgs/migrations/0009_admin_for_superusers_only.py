"""The Django admin is the developers' only: accounts saved before that rule (the platform's)
lose their admin access now rather than at their next save."""

from django.db import migrations


def admin_for_superusers_only(apps, schema_editor):
    User = apps.get_model("orgs", "User")
    User.objects.filter(is_staff=True, is_superuser=False).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0008_account_pages")]

    operations = [migrations.RunPython(admin_for_superusers_only, migrations.RunPython.noop)]
