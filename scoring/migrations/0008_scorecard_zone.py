"""Scorecards carry their organization's zone (see Scorecard.zone): added empty, filled from
the organizations, then required."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_zones(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    Scorecard = apps.get_model("scoring", "Scorecard")
    zone = Organization.objects.filter(pk=OuterRef("organization_id")).values("zone_id")
    Scorecard.objects.update(zone_id=Subquery(zone))


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0007_rule_set_appeal_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorecard",
            name="zone",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.zone",
            ),
        ),
        migrations.RunPython(fill_zones, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="scorecard",
            name="zone",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.zone",
            ),
        ),
        migrations.AddIndex(
            model_name="scorecard",
            index=models.Index(fields=["zone", "year"], name="scorecard_zone_year"),
        ),
    ]
