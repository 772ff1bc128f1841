"""Before zones, rule sets, months, notices and year states were the deployment's: they
become the first zone's (migrations/orgs 0003 made each tree root a zone); a year's results
belong to their organization's zone."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Zone = apps.get_model("orgs", "Zone")
    Organization = apps.get_model("orgs", "Organization")
    first = Zone.objects.order_by("pk").first()
    if first is None:
        return
    for name in ("RuleSet", "Period", "Notice", "YearState"):
        apps.get_model("scoring", name).objects.filter(zone__isnull=True).update(zone=first)
    AnnualResult = apps.get_model("scoring", "AnnualResult")
    zone_of = Organization.objects.filter(pk=OuterRef("organization_id")).values("zone_id")
    AnnualResult.objects.filter(zone__isnull=True).update(zone_id=Subquery(zone_of[:1]))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_zones_for_existing_data"), ("scoring", "0004_zones")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
