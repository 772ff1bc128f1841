from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orgs.commands import add_zone_argument, zone_named

from ...models import RuleSet, YearState
from ...sheets import grades as grade_sheet


class Command(BaseCommand):
    help = "Write a year's grade sheet (年度评级表) to an Excel file."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", type=Path, required=True)
        add_zone_argument(parser)

    def handle(self, *args, year, output, zone, **options):
        zone = zone_named(zone)
        rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
        if rule_set is None:
            raise CommandError(f"{zone.name} {year} 年度尚未建立评分细则。")
        finalized = YearState.objects.filter(zone=zone, year=year, finalized=True).exists()
        grade_sheet.write(
            str(output),
            rule_set=rule_set,
            finalized=finalized,
            today=timezone.localdate(),
        )
        state = "" if finalized else "（尚未定级，按当前积分预估）"
        self.stdout.write(f"已导出 {year} 年度评级表{state}到 {output}。")
