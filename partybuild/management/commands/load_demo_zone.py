import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard import demo as dashboard_demo
from guidance import demo as guidance_demo
from orgs import demo as org_demo
from orgs.models import Organization
from records import demo as records_demo
from scoring import demo, rules


class Command(BaseCommand):
    """The project's command, not one app's: the demo is every app's data of one city."""

    help = (
        "Load the demo city: the 304-organization development zone (582 covered units) and a "
        "small county district side by side, their accounts, a city viewer and the platform "
        "administrator, and everything a zone that started using the system on 2 January of "
        "last year has done by today."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            help="load the zone as it stood on this day (YYYY-MM-DD, not after today); "
            "default today",
        )

    def handle(self, *args, seed, as_of=None, **options):
        today = timezone.localdate()
        if as_of is not None:
            if as_of > today:
                raise CommandError("--as-of 不能晚于今天。")
            today = as_of
        last_year = today.year - 1
        with demo.clock(demo.at(datetime.date(last_year, 1, 2))):
            zones = org_demo.build_city(seed=seed, year=last_year, today=today)
        org_demo.ensure_accounts()
        last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
        logins = list(org_demo.demo_logins())
        fresh = [f for _, _, f in zones if f is not None]
        for created, zone, _ in zones:
            user = demo.demo_user(zone)
            self.stdout.write(f"{zone.name}（{zone.code}）：{'已创建' if created else '已存在'}……")
            played = demo.play(seed=seed, zone=zone, today=today, user=user, say=self.stdout.write)
            # The office's word that a month is entered in full (the dashboard's completeness).
            dashboard_demo.mark_entered_months(seed=seed, zone=zone, user=user)
            scored = Organization.objects.in_zone(zone).scored().count()
            self.stdout.write(f"  {zone.root.name}，计分党组织 {scored} 个。")
            if played is None:
                self.stdout.write("  积分和通报已存在，未重复创建。")
            else:
                recorded, notices = played
                self.stdout.write(
                    f"  已按日期补齐 {last_year}年1月 至今的积分 {recorded} 条、预警通报 {notices} 期，"
                    f"{last_year} 年度已定级并确认 {today.year} 年度分类；"
                    "本月积分正在录入，最近一期通报的部分整改报告等待审核。"
                )
            listed = demo.secretary_logins(zone=zone, year=last_quarter[0], quarter=last_quarter[1])
            if zone.code == org_demo.ROOT_CODE:
                logins += listed
                # --- guidance (issue 16): the zone's guidance station since last September.
                station_logins = guidance_demo.play(seed=seed, zone=zone, today=today, user=user)
                if station_logins is None:
                    self.stdout.write("  党建工作指导站已存在，未重复创建。")
                    station_logins = list(guidance_demo.LOGINS.items())
                else:
                    self.stdout.write(
                        f"  党建工作指导站：第五批指导员 15 人（5 个指导组），自 {last_year}年9月 起的"
                        "AB岗排班、走访、问题帮办、任务清单和工作周记录。"
                    )
                logins += station_logins
                # --- end of guidance
            # --- records (issue 14): the last months' work records and two appeals.
            made = records_demo.play(
                seed=seed, zone=zone, today=today, user=user, listed=[u for u, _ in listed]
            )
            if made is not None:
                self.stdout.write(f"  工作记录 {made} 条（近三个月，各种状态），申诉 2 条。")
            # --- end of records
        self.stdout.write(f"演示账号（密码均为 {org_demo.DEMO_PASSWORD}，书记以手机号登录）：")
        for username, label in logins:
            self.stdout.write(f"  {username:<12} {label}")
        for f in fresh:
            self.stdout.write(
                f"新开通的组织：{f.organization.zone.name} {f.organization.name}，书记账号 {f.username} "
                f"只有初始密码 {f.password}（登录后须先修改密码；只在首次载入时显示）。"
            )
