from django.core.management.base import BaseCommand
from django.utils import timezone

from orgs import demo
from orgs.models import Organization


class Command(BaseCommand):
    help = "Load the demo development zone (304 organizations, 582 covered units, demo accounts)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, seed, **options):
        this_year = timezone.localdate().year
        created, root = demo.build_zone(seed=seed, year=this_year - 1)
        demo.ensure_accounts()
        scored = Organization.objects.scored().count()
        state = "已创建" if created else "已存在，未重复创建"
        self.stdout.write(f"示范开发区{state}：{root.name}，计分党组织 {scored} 个。")
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for username, label in demo.demo_logins():
            self.stdout.write(f"  {username:<12} {label}")
