from pathlib import Path

from django.core.management.base import BaseCommand

from orgs.commands import add_zone_argument, zone_named

from ...sheets import points as points_sheet


class Command(BaseCommand):
    help = "Export every point entry of a year as rows, for backup and analysis."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", type=Path, required=True)
        add_zone_argument(parser)

    def handle(self, *args, year, output, zone, **options):
        points_sheet.write(zone_named(zone), year, output)
        self.stdout.write(f"已导出 {year} 年度积分明细到 {output}。")
