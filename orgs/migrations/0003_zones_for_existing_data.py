"""Before zones, a deployment was one zone: each tree root becomes a zone (the first one named
as PARTYBUILD_ZONE_NAME said), its organizations and accounts belong to it."""

from django.conf import settings
from django.db import migrations

ZONE_ROLES = ("admin", "staff", "committee", "secretary")


def forwards(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    Zone = apps.get_model("orgs", "Zone")
    User = apps.get_model("orgs", "User")
    roots = list(Organization.objects.filter(depth=1).order_by("path"))
    first = None
    for number, root in enumerate(roots):
        name = getattr(settings, "PARTYBUILD_ZONE_NAME", "") if number == 0 else ""
        zone = Zone.objects.create(code=root.code, name=name or root.short_name or root.code)
        Organization.objects.filter(path__startswith=root.path).update(zone=zone)
        first = first or zone
    for user in User.objects.filter(role__in=ZONE_ROLES, zone__isnull=True):
        if user.role == "committee" and user.committee_id:
            user.zone_id = Organization.objects.get(pk=user.committee_id).zone_id
        elif user.role == "secretary":
            org = Organization.objects.filter(secretary_id=user.pk).first()
            user.zone_id = org.zone_id if org else (first and first.pk)
        else:
            user.zone_id = first and first.pk
        user.save(update_fields=["zone"])


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_zones")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
