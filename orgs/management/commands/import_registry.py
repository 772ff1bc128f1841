from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from partybuild.xlsx import FileRefused

from ... import registry
from ...commands import office_user
from ...slips import slip_for, slips_workbook


class Command(BaseCommand):
    help = (
        "Import a registry file (党组织名册) into --user's zone, an office or admin account. "
        "Any bad cell refuses the whole file; every problem is listed. Organizations missing "
        "from the file are only deactivated with --deactivate-missing. The new secretaries' "
        "one-time passwords are written to the slips file (开通通知单), nowhere else."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        # Checked in handle rather than by argparse, to refuse a missing one in Chinese.
        parser.add_argument("--user", help="username recorded as the author of the changes")
        parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="deactivate the zone's organizations that are not in the file (never deleted)",
        )
        parser.add_argument(
            "--slips",
            type=Path,
            help="where to write the slips of new accounts (default: FILE-开通通知单.xlsx)",
        )
        parser.add_argument(
            "--year", type=int, help="the year of the initial tiers (default this year)"
        )

    def handle(self, *args, file, user, dry_run, deactivate_missing, slips, year, **options):
        author, zone = office_user(user, task="导入党组织名册")
        year = year or timezone.localdate().year
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {file}：{error.strerror}") from None
        try:
            plan = registry.prepare(data, file.name, zone=zone, year=year)
        except FileRefused as refused:
            raise CommandError(str(refused)) from None
        except registry.Refused as refused:
            # All of them, unlike the web page: a terminal's output can be saved and searched.
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"文件有 {len(refused.problems)} 处错误，整个文件未导入，没有保存任何数据。"
            ) from None
        self.stdout.write(
            f"{zone.name}：新建 {len(plan.created)} 个、修改 {len(plan.changed)} 个、"
            f"调整上级 {len(plan.moved)} 个组织，新开书记账号 {len(plan.new_accounts)} 个；"
            f"文件中没有的在用组织 {len(plan.missing)} 个"
            + (
                "（将停用）。"
                if deactivate_missing
                else "（保持不变；--deactivate-missing 停用）。"
            )
        )
        for changed in plan.changed:
            for change in changed.changes:
                self.stdout.write(
                    f"  {changed.row.code} {change.label}：{change.old} → {change.new}"
                )
        for moved in plan.moved:
            self.stdout.write(f"  {moved.row.code} 上级：{moved.old_parent} → {moved.new_parent}")
        if dry_run:
            self.stdout.write("试运行（--dry-run），未保存任何修改。")
            return
        slips = slips or file.with_name(f"{file.stem}-开通通知单.xlsx")
        with transaction.atomic():
            applied = registry.apply(
                plan=plan,
                by=author,
                source=file.name,
                deactivate=[o.pk for o in plan.missing] if deactivate_missing else [],
            )
            if applied.opened:
                slips.write_bytes(
                    slips_workbook(
                        slip_for(o.user, o.password, o.organization) for o in applied.opened
                    )
                )
        self.stdout.write(
            f"已导入：新建 {applied.created} 个、修改 {applied.changed} 个、调整上级 {applied.moved} 个、"
            f"停用 {applied.deactivated} 个组织。"
        )
        if applied.opened:
            self.stdout.write(
                f"新开书记账号 {len(applied.opened)} 个，开通通知单（含初始密码）已写入 {slips}，"
                "请打印后妥善分发并删除该文件。"
            )
