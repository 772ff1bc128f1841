from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgs.commands import office_user
from partybuild.xlsx import FileRefused

from ...models import RuleSet
from ...services.points import record_points
from ...sheets import month_template


class Command(BaseCommand):
    help = (
        "Import a filled-in month template (.xlsx) as --user, an office or admin account. "
        "Any bad cell refuses the whole file; every problem is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)
        # Checked in handle rather than by argparse, to refuse a missing one in Chinese.
        parser.add_argument("--user", help="username recorded as the author of the changes")

    def handle(self, *args, file, year, month, user, **options):
        author, zone = office_user(user, task="导入积分")
        rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
        if rule_set is None:
            raise CommandError(f"{year} 年度尚未建立评分细则。")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {file}：{error.strerror}") from None
        try:
            parsed = month_template.parse(
                data, file.name, zone=zone, year=year, month=month, items=rule_set.ordered_items()
            )
        except FileRefused as refused:
            raise CommandError(str(refused)) from None
        problems = month_template.validate(parsed, zone=zone, year=year)
        if problems:
            # All of them, unlike the web page: a terminal's output can be saved and searched.
            for p in problems:
                where = f"{p.sheet} 第{p.row}行 {p.column}列" if p.row else p.sheet
                self.stderr.write(f"{where} {p.organization} {p.item}：{p.reason}")
            raise CommandError(f"文件有 {len(problems)} 处错误，整个文件未导入，没有保存任何数据。")
        changed, _ = month_template.changes(parsed, year=year, month=month)
        record_points(
            zone=zone, year=year, cells=changed, user=author, reason=f"命令导入：{file.name}"
        )
        self.stdout.write(f"已导入 {year}年{month}月：{len(changed)} 处修改。")
