from django.core.management.base import BaseCommand
from django.utils import timezone

from orgs import demo as org_demo
from orgs.models import Organization

from ... import demo, rules


class Command(BaseCommand):
    help = (
        "Load the demo city: the 304-organization development zone (582 covered units) and a "
        "small county district side by side, their accounts, a city viewer and the platform "
        "administrator, rule sets and points for last year and this year up to last month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, seed, **options):
        today = timezone.localdate()
        this_year, last_year = today.year, today.year - 1
        zones = org_demo.build_city(seed=seed, year=last_year)
        org_demo.ensure_accounts()
        upto = (this_year, today.month - 1) if today.month > 1 else (last_year, 12)
        last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
        logins = list(org_demo.demo_logins())
        for created, zone in zones:
            user = demo.demo_user(zone)
            self.stdout.write(f"{zone.name}（{zone.code}）……")
            demo.ensure_rule_sets(zone=zone, years=[last_year, this_year], user=user)
            recorded = demo.fill_points(
                seed=seed, zone=zone, years=[last_year, this_year], upto=upto, user=user
            )
            # The last ended quarter stays unpublished, for the demo of publishing.
            notices = demo.publish_past_notices(seed=seed, zone=zone, upto=last_quarter, user=user)
            scored = Organization.objects.in_zone(zone).scored().count()
            state = "已创建" if created else "已存在，未重复创建"
            self.stdout.write(f"  {state}：{zone.root.name}，计分党组织 {scored} 个。")
            if recorded:
                self.stdout.write(
                    f"  已录入 {last_year} 年至 {upto[0]}年{upto[1]}月 的积分 {recorded} 条。"
                )
            if notices:
                self.stdout.write(
                    f"  已发布此前 {notices} 个季度的预警通报，并模拟了整改的提交、退回和销号。"
                )
            if zone.code == org_demo.ROOT_CODE:
                logins += demo.secretary_logins(
                    zone=zone, year=last_quarter[0], quarter=last_quarter[1]
                )
        self.stdout.write(f"演示账号（密码均为 {org_demo.DEMO_PASSWORD}）：")
        for username, label in logins:
            self.stdout.write(f"  {username:<12} {label}")
