from django.db import migrations, models


def number_by_issue_year(apps, schema_editor):
    Notice = apps.get_model("scoring", "Notice")
    for notice in Notice.objects.all():
        notice.number_year = notice.published_on.year
        notice.save(update_fields=["number_year"])


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_rule_set_bounds"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="notice", name="notice_number_unique"),
        migrations.AddField(
            model_name="notice",
            name="number_year",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="文号年度"),
            preserve_default=False,
        ),
        migrations.RunPython(number_by_issue_year, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                fields=("number_year", "number"), name="notice_number_unique"
            ),
        ),
    ]
