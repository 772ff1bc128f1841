from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...commands import add_zone_argument, zone_named
from ...registry_sheet import export


class Command(BaseCommand):
    help = (
        "Write a zone's organization registry (党组织名册: organizations, covered units, tiers, "
        "secretaries) to an .xlsx file that import_registry reads back as it is."
    )

    def add_arguments(self, parser):
        add_zone_argument(parser)
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument(
            "--year", type=int, help="the year whose tiers are written (default this year)"
        )

    def handle(self, *args, zone, output, year, **options):
        zone = zone_named(zone)
        year = year or timezone.localdate().year
        output.write_bytes(export(zone, year=year))
        self.stdout.write(f"已导出 {zone.name} 的党组织名册到 {output}。")
