from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgs.commands import add_zone_argument, zone_named

from ...models import Notice
from ...sheets import notice as notice_sheet


class Command(BaseCommand):
    help = "Write a published quarter's warning notice (预警通报) to an Excel file."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--quarter", type=int, required=True, choices=[1, 2, 3, 4])
        parser.add_argument("--output", type=Path, required=True)
        add_zone_argument(parser)

    def handle(self, *args, year, quarter, output, zone, **options):
        notice = Notice.objects.filter(zone=zone_named(zone), year=year, quarter=quarter).first()
        if notice is None:
            raise CommandError(f"{year}年第{quarter}季度的预警通报尚未发布。")
        Path(output).write_bytes(notice_sheet.write(notice, notice.warnings.all()))
        self.stdout.write(
            f"已导出 {notice.label}（{notice.warnings.count()} 个预警组织）到 {output}。"
        )
