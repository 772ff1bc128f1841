from django.core.management.base import BaseCommand
from django.utils import timezone

from orgs import demo as org_demo
from orgs.models import Organization

from ... import demo, rules


class Command(BaseCommand):
    help = (
        "Load the demo development zone: 304 organizations covering 582 units, demo accounts, "
        "rule sets and points for last year and this year up to last month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, seed, **options):
        today = timezone.localdate()
        this_year, last_year = today.year, today.year - 1
        created, root = org_demo.build_zone(seed=seed, year=last_year)
        org_demo.ensure_accounts()
        user = demo.demo_user()
        demo.ensure_rule_sets(years=[last_year, this_year], user=user)
        upto = (this_year, today.month - 1) if today.month > 1 else (last_year, 12)
        recorded = demo.fill_points(seed=seed, years=[last_year, this_year], upto=upto, user=user)
        last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
        # The last ended quarter stays unpublished, for the demo of publishing.
        notices = demo.publish_past_notices(seed=seed, upto=last_quarter, user=user)
        scored = Organization.objects.scored().count()
        state = "已创建" if created else "已存在，未重复创建"
        self.stdout.write(f"示范开发区{state}：{root.name}，计分党组织 {scored} 个。")
        if recorded:
            self.stdout.write(
                f"已录入 {last_year} 年至 {upto[0]}年{upto[1]}月 的积分 {recorded} 条。"
            )
        if notices:
            self.stdout.write(
                f"已发布此前 {notices} 个季度的预警通报，并模拟了整改的提交、退回和销号。"
            )
        self.stdout.write(f"演示账号（密码均为 {org_demo.DEMO_PASSWORD}）：")
        logins = [
            *org_demo.demo_logins(),
            *demo.secretary_logins(year=last_quarter[0], quarter=last_quarter[1]),
        ]
        for username, label in logins:
            self.stdout.write(f"  {username:<12} {label}")
