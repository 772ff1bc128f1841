"""Server time of the main pages on the current database (the demo zone after `make run`):

    .venv/bin/python -m bench.pages [--runs 20]

Each figure is the median time for Django to answer the page in-process (no network), with the
number of queries it ran.
"""

import argparse
import os
import statistics
import time

import django


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from orgs.models import Organization, Role, User
    from scoring import rules

    today = timezone.localdate()
    month = today.month - 1 or 12
    year = today.year if today.month > 1 else today.year - 1
    quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    staff = User.objects.filter(role=Role.STAFF).order_by("pk").first()
    viewer = User.objects.filter(role=Role.COMMITTEE, zone=staff.zone_id if staff else None).first()
    secretary = Organization.objects.scored().filter(secretary__isnull=False).first().secretary
    scored = Organization.objects.scored().count()
    pages = [
        (staff, f"/points/{year}/{month}/", "月度录入表格（每页 50 个组织）"),
        (staff, f"/points/{year}/{month}/?size=100", "月度录入表格（每页 100 个组织）"),
        (staff, f"/warnings/{quarter[0]}/{quarter[1]}/", "季度预警"),
        (staff, f"/grading/{today.year - 1}/", "年度定级"),
        (staff, "/orgs/", "组织列表"),
        (secretary, f"/status/{secretary.secretary_of.pk}/", "书记首页"),
        (staff, "/dashboard/", "工作台（党建办，全区）"),
        *([(viewer, "/dashboard/", "工作台（党委查看，本党委）")] if viewer else []),
    ]
    print(f"{scored} 个计分组织，{connection.vendor}，每项 {args.runs} 次取中位数")
    for user, url, label in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get(url)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"  {label:<22} {statistics.median(times) * 1000:6.1f} ms  "
            f"{len(queries.captured_queries):2d} 次查询  HTTP {response.status_code}"
        )


if __name__ == "__main__":
    main()
