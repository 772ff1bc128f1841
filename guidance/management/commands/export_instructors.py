from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgs.commands import add_zone_argument, zone_named

from ...models import InstructorRuleSet
from ...sheets import instructors


class Command(BaseCommand):
    help = (
        "Write the instructors' annual points and grades (党建指导员积分和等次) to an Excel file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", type=Path, required=True)
        add_zone_argument(parser)

    def handle(self, *args, year, output, zone, **options):
        zone = zone_named(zone)
        rule_set = InstructorRuleSet.objects.filter(station__zone=zone, year=year).first()
        if rule_set is None:
            raise CommandError(f"{zone.name} {year} 年度还没有指导员考核细则。")
        output.write_bytes(instructors(rule_set))
        self.stdout.write(f"已导出 {year} 年度党建指导员积分和等次到 {output}。")
