from pathlib import Path

from django.core.management.base import BaseCommand

from ...sheets import points as points_sheet


class Command(BaseCommand):
    help = "Export every point entry of a year as rows, for backup and analysis."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, year, output, **options):
        points_sheet.write(year, output)
        self.stdout.write(f"已导出 {year} 年度积分明细到 {output}。")
