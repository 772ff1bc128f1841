"""Tier assignments and secretary terms carry their organization's zone (see
SecretaryTerm.zone): added empty, filled from the organizations, then required."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_zones(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    zone = Organization.objects.filter(pk=OuterRef("organization_id")).values("zone_id")
    for name in ("TierAssignment", "SecretaryTerm"):
        apps.get_model("orgs", name).objects.update(zone_id=Subquery(zone))


def zone_field(**kwargs):
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.zone", **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0009_admin_for_superusers_only")]

    operations = [
        migrations.AddField("tierassignment", "zone", zone_field(null=True)),
        migrations.AddField("secretaryterm", "zone", zone_field(null=True)),
        migrations.RunPython(fill_zones, migrations.RunPython.noop, elidable=True),
        migrations.AlterField("tierassignment", "zone", zone_field()),
        migrations.AlterField("secretaryterm", "zone", zone_field()),
    ]
