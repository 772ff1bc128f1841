"""Server time of the main pages on the current database (the demo zones after `make run`):

    .venv/bin/python -m bench.pages [--runs 20]

Each figure is the median time for Django to answer the page in-process (no network), with the
number of queries it ran: reloaded (its content served from the cache, as between writes) and
cold (its cached content dropped first, as after a write to what it shows). The pages are a
zone office's (the first staff account's zone), its secretary's and committee viewer's, and a
city/province viewer's cross-zone pages with that zone chosen. `make bench` runs this with
`--serve` on each of its databases and asks the two for each request in turn.
"""

import argparse
import json
import os
import statistics
import sys
import time

import django


def pages(today):
    """[(key, label, user, path)] of the pages measured."""
    from orgs.models import Organization, Role, User
    from scoring import rules

    month = today.month - 1 or 12
    year = today.year if today.month > 1 else today.year - 1
    quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    staff = User.objects.filter(role=Role.STAFF).earliest("pk")
    zone_orgs = Organization.objects.in_zone(staff.zone_id).scored()
    secretary = zone_orgs.filter(secretary__isnull=False).first().secretary
    viewer = User.objects.filter(role=Role.COMMITTEE, zone=staff.zone_id).order_by("pk").first()
    region = User.objects.filter(role=Role.REGION).order_by("pk").first()
    found = [
        ("secretary", "书记首页", secretary, f"/status/{secretary.secretary_of.pk}/"),
        ("grid", "月度录入表格（每页 50 个组织）", staff, f"/points/{year}/{month}/"),
        ("grid100", "月度录入表格（每页 100 个组织）", staff, f"/points/{year}/{month}/?size=100"),
        ("warnings", "季度预警（实时）", staff, f"/warnings/{quarter[0]}/{quarter[1]}/"),
        ("grading", "年度定级（本年，实时）", staff, f"/grading/{today.year}/"),
        ("orgs", "组织列表", staff, "/orgs/"),
        ("dashboard", "工作台（党建办，全区）", staff, "/dashboard/"),
    ]
    if viewer:
        found.append(("committee_dashboard", "工作台（党委查看，本党委）", viewer, "/dashboard/"))
    if region:
        found += [
            ("compare", "各区对比（市/省级查看）", region, "/compare/"),
            ("zones", "开发区列表（市/省级查看）", region, "/orgs/zones/"),
            ("region_dashboard", "工作台（市/省级查看所选区）", region, "/dashboard/"),
        ]
    return staff.zone, found


class Pages:
    """The measured pages, each with a client logged in as its reader and loaded once: their
    queries counted, and one request timed at a time (`seconds`)."""

    def __init__(self, *, cookies):
        from django.core.cache import caches
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from bench.tools import session_cookie
        from orgs.access import CHOSEN_ZONE

        self.fragments = caches["fragments"]
        zone, found = pages(timezone.localdate())
        self.rows, self.clients = {}, {}
        for key, label, user, path in found:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            # A cross-zone reader looks at the office's zone, as after choosing it.
            extra = {CHOSEN_ZONE: zone.pk} if user.reads_across_zones else {}
            if extra:
                session = client.session
                session.update(extra)
                session.save()
            status = client.get(path).status_code
            counts = {}
            for cold in (True, False):
                if cold:
                    self.fragments.clear()
                with CaptureQueriesContext(connection) as queries:
                    client.get(path)
                counts[cold] = len(queries.captured_queries)
            row = {"key": key, "label": label, "path": path, "status": status}
            row.update(queries=counts[False], queries_cold=counts[True])
            if cookies:
                row["cookie"] = session_cookie(user, **extra)
            self.rows[key], self.clients[key] = row, client

    def seconds(self, key, *, cold):
        """One request of the page: reloaded (its content from the cache, as between writes)
        or cold (its cached content dropped first, as after a write to what it shows)."""
        if cold:
            self.fragments.clear()
        started = time.perf_counter()
        self.clients[key].get(self.rows[key]["path"])
        return time.perf_counter() - started


def server_times(runs):
    """[{key, label, path, ms, queries, ms_cold, queries_cold, status}]: medians of `runs`."""
    measured = Pages(cookies=False)
    for key, row in measured.rows.items():
        for name, cold in (("ms_cold", True), ("ms", False)):
            times = [measured.seconds(key, cold=cold) for _ in range(runs)]
            row[name] = statistics.median(times) * 1000
    return list(measured.rows.values())


def serve():
    """For `make bench`, which times two databases' pages in turn: print the pages as JSON
    (with a session cookie each, for wrk), then answer each line "KEY cold|reloaded" of stdin
    with that request's milliseconds."""
    measured = Pages(cookies=True)
    print(json.dumps(list(measured.rows.values()), ensure_ascii=False), flush=True)
    for line in sys.stdin:
        key, mode = line.split()
        print(measured.seconds(key, cold=mode == "cold") * 1000, flush=True)


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--serve", action="store_true", help="answer make bench's requests")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    django.setup()
    from django.db import connection

    from orgs.models import Organization

    if args.serve:
        serve()
        return
    measured = server_times(args.runs)
    scored = Organization.objects.scored().count()
    print(f"{scored} 个计分组织，{connection.vendor}，每项 {args.runs} 次取中位数")
    for row in measured:
        print(
            f"  {row['label']:<26} {row['ms']:6.1f} ms  {row['queries']:2d} 次查询  "
            f"（不用缓存 {row['ms_cold']:6.1f} ms  {row['queries_cold']:2d} 次）  "
            f"HTTP {row['status']}"
        )


if __name__ == "__main__":
    main()
