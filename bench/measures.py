"""The figures: each app path beside its limit, in one run, as medians."""

import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from django.db import connection

from bench import registry
from bench.province import measured_zone
from bench.tools import (
    ENVIRONMENT,
    RAW_QUARTER,
    RAW_YEAR,
    RAW_YEAR_OF_ZONE_PARTITION,
    ROOT,
    answers_200,
    export_in_subprocess,
    in_turn,
    raw,
    serve,
    wrk,
)
from orgs.models import Organization, User, Zone
from scoring import rules
from scoring.grades import live_rows
from scoring.models import PointEntry, RuleSet
from scoring.services.points import record_points
from scoring.services.scorecards import refresh_scorecards
from scoring.sheets import month_template
from scoring.standings import level_counts, quarter_standings

PORT = int(os.environ.get("BENCH_PORT", "8101"))


def run(*, args, url, zone_url, years, say):
    results = []
    last = years[-1]
    zone = measured_zone()
    rule_set = RuleSet.objects.get(zone=zone, year=last)
    scored = Organization.objects.in_zone(zone).scored()

    say(f"季度预警（{zone.name}全部组织）…")
    app, limit = in_turn(
        lambda: level_counts(quarter_standings(zone, scored, last, 4).values()),
        raw(RAW_QUARTER, [last, 10, 11, 12, zone.pk]),
        runs=args.runs,
    )
    results.append(("季度预警：一个区全部组织的等级", app, limit, "≤ 0.5", app / limit <= 0.5))

    say(f"年度定级（{zone.name}全部组织）…")
    app, limit = in_turn(
        lambda: list(live_rows(rule_set, today=datetime.date(last + 1, 1, 1))),
        raw(RAW_YEAR, [last, zone.pk]),
        runs=args.runs,
    )
    results.append(
        (
            "年度定级：一个区的季度分、总分、等次、排名、预警次数",
            app,
            limit,
            "≤ 0.5",
            app / limit <= 0.5,
        )
    )

    partitioning = None if args.no_partitioning else _partitioning(args, last, say)

    say("导出评级表…")
    # The app's export and the bare one in each run, so that both meet the same drift of the
    # machine's speed.
    pairs = [
        [export_in_subprocess(kind, zone.code, last, url) for kind in ("app", "bare")]
        for _ in range(args.runs)
    ]
    app_runs, bare_runs = [p[0] for p in pairs], [p[1] for p in pairs]
    app_time = statistics.median(t for t, _ in app_runs)
    bare_time = statistics.median(t for t, _ in bare_runs)
    app_memory = statistics.median(m for _, m in app_runs)
    bare_memory = statistics.median(m for _, m in bare_runs)
    results.append(("评级表导出：时间", app_time, bare_time, "≤ 1.2", app_time / bare_time <= 1.2))
    results.append(
        (
            "评级表导出：峰值内存 MB",
            app_memory,
            bare_memory,
            "< 150 MB",
            max(m for _, m in app_runs) < 150,
        )
    )

    say("导入 304 个组织的月度模板…")
    results.append(("导入 304 个组织的月度模板", _import(args, zone, years), None, "—", None))

    results.extend(registry.measure(runs=args.runs, say=say))

    say("页面：省级数据库与单区数据库对比…")
    pages = _pages(args, url, zone_url, say)
    return {"results": results, "partitioning": partitioning, "years": years, "pages": pages}


def _partitioning(args, year, say):
    """A zone's year scan on a copy of the points partitioned by zone (one partition per
    zone, no indexes: the zone's rows are the partition), beside the plain table, which
    reaches the zone's rows through its organizations and the indexes."""
    say("按区分区试验…")
    zone = measured_zone()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_points_by_zone")
        cursor.execute(
            "CREATE TABLE bench_points_by_zone (LIKE scoring_pointentry, zone_id bigint NOT NULL) "
            "PARTITION BY LIST (zone_id)"
        )
        for pk in Zone.objects.values_list("pk", flat=True):
            cursor.execute(
                f"CREATE TABLE bench_points_zone_{pk} PARTITION OF bench_points_by_zone "
                f"FOR VALUES IN ({pk})"
            )
        cursor.execute(
            "INSERT INTO bench_points_by_zone SELECT e.*, o.zone_id FROM scoring_pointentry e "
            "JOIN orgs_organization o ON o.id = e.organization_id"
        )
        cursor.execute("ANALYZE bench_points_by_zone")
    plain, partitioned = in_turn(
        raw(RAW_YEAR, [year, zone.pk]),
        raw(RAW_YEAR_OF_ZONE_PARTITION, [year, zone.pk]),
        runs=args.runs,
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_points_by_zone")
    return {"plain": plain, "partitioned": partitioned}


def _import(args, zone, years):
    """Parse, validate, preview and save a filled-in template of 304 organizations of the
    zone, into this month (which the province leaves empty), emptied again after each run."""
    today = datetime.date.today()
    year, month = today.year, today.month
    rule_set = RuleSet.objects.get(zone=zone, year=year)
    ids = list(Organization.objects.in_zone(zone).scored().values_list("pk", flat=True)[:304])
    organizations = Organization.objects.filter(pk__in=ids)
    data = _filled_template(rule_set, year, month, organizations)
    staff = User.objects.get(username="bench-staff")

    def once():
        parsed = month_template.parse(
            data, "bench.xlsx", zone=zone, year=year, month=month, items=rule_set.ordered_items()
        )
        problems = month_template.validate(parsed, zone=zone, year=year)
        assert not problems, "the bench template must be valid"
        changed, _ = month_template.changes(parsed, year=year, month=month)
        record_points(zone=zone, year=year, cells=changed, user=staff, reason="压测导入")

    def clean():
        PointEntry.history.filter(organization_id__in=ids, year=year, month=month).delete()
        PointEntry.objects.filter(organization_id__in=ids, year=year, month=month).delete()
        refresh_scorecards(zone=zone, org_ids=ids, years=[year])

    times = []
    for _ in range(args.runs):
        clean()
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    clean()
    return statistics.median(times)


def _filled_template(rule_set, year, month, organizations):
    from io import BytesIO

    from openpyxl import load_workbook

    template = month_template.write(rule_set, year, month, organizations)
    workbook = load_workbook(BytesIO(template))
    ws = workbook.worksheets[0]
    items = rule_set.ordered_items()
    # Every routine item entered as 0: the running year's earlier months of the quarter may
    # have used its cap already.
    for row in range(month_template.FIRST_DATA_ROW, ws.max_row + 1):
        for column, item in enumerate(items, start=3):
            if item.kind == rules.ROUTINE:
                ws.cell(row, column, 0)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


# Pages of a zone's office, held to the single zone's figures; the secretary's to its own goal.
OFFICE_PAGES = ("grid", "grid100", "warnings", "grading", "orgs", "dashboard")
CROSS_ZONE_PAGES = ("compare", "zones", "region_dashboard")
TIME_RATIO, RATE_SHARE = 1.5, 1 / 20
SECRETARY_SHARE = 1 / 8
DASHBOARD_MS, CROSS_ZONE_MS = 150, 200
IN_PROCESS_RUNS = 20


def _pages(args, url, zone_url, say):
    """Each page on the province and on the single zone: server time and queries in-process
    with nothing else running, then requests/s under wrk, the two servers side by side."""
    say("  进程内服务器时间（安静时测，两库交替请求）…")
    measured = _paired_server_times(url, zone_url)
    servers = {"province": serve(url, PORT), "single": serve(zone_url, PORT + 1)}
    bases = {"province": f"http://127.0.0.1:{PORT}", "single": f"http://127.0.0.1:{PORT + 1}"}
    try:
        say("  gunicorn（各 2 个 worker）+ wrk，省级页面与最小视图交替…")
        minimal = bases["province"] + "/bench/minimal/"
        for db, rows in measured.items():
            for row in rows.values():
                if row["status"] != 200:
                    raise SystemExit(f"{row['label']}（{row['path']}）返回 {row['status']}")
                page = bases[db] + row["path"]
                if db == "province":
                    # The share of the constant view's rate is a goal: both run in turn.
                    row["rate"], row["p99"], row["minimal"], row["minimal_p99"] = _wrk_in_turn(
                        args, row["label"], page, row["cookie"], minimal
                    )
                else:
                    row["rate"], row["p99"] = _wrk(args, row["label"], page, row["cookie"])
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    return measured


class _PageServer:
    """`python -m bench.pages --serve` on the database at `url`: its pages (`rows`), and one
    request's milliseconds at a time (`ms`)."""

    def __init__(self, url: str):
        self.url = url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.pages", "--serve"],
            cwd=ROOT,
            env={**os.environ, **ENVIRONMENT, "DATABASE_URL": url},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin and self.process.stdout
        self.ask, self.answers = self.process.stdin, self.process.stdout
        self.rows = {row["key"]: row for row in json.loads(self.answers.readline())}

    def ms(self, key: str, mode: str) -> float:
        self.ask.write(f"{key} {mode}\n")
        self.ask.flush()
        return float(self.answers.readline())

    def close(self) -> None:
        self.ask.close()
        if self.process.wait() != 0:
            raise SystemExit(f"python -m bench.pages --serve failed on {self.url}")


def _paired_server_times(url, zone_url):
    """{"province"|"single": {key: row}}: each page's median server time, reloaded and cold, of
    IN_PROCESS_RUNS requests on each database, the two asked in turn (in alternating order).
    On a shared host the machine's speed drifts by a fifth within seconds; asked in turn, both
    databases' pages meet the same drift, so their ratio is the data's."""
    servers = {"province": _PageServer(url), "single": _PageServer(zone_url)}
    try:
        province, single = servers["province"].rows, servers["single"].rows
        for key in [k for k in province if k in single]:
            for name, mode in (("ms_cold", "cold"), ("ms", "reloaded")):
                times: dict[str, list[float]] = {db: [] for db in servers}
                for run in range(IN_PROCESS_RUNS):
                    for db in list(servers)[:: 1 if run % 2 else -1]:
                        times[db].append(servers[db].ms(key, mode))
                for db, values in times.items():
                    servers[db].rows[key][name] = statistics.median(values)
    finally:
        for server in servers.values():
            server.close()
    return {db: server.rows for db, server in servers.items()}


def _wrk(args, label, url, cookie):
    """(median requests/s, median p99 ms) of `args.runs` wrk runs after a warm-up."""
    _warm(label, url, cookie)
    return _medians(label, [wrk(url, cookie, args.http_seconds) for _ in range(args.runs)])


def _wrk_in_turn(args, label, url, cookie, minimal):
    """(requests/s, p99 ms) of the page and then of the constant view at `minimal`, medians of
    `args.runs` wrk runs each, taken in turn: the machine's drifting speed weighs on both."""
    _warm(label, url, cookie)
    page, constant = [], []
    for _ in range(args.runs):
        page.append(wrk(url, cookie, args.http_seconds))
        constant.append(wrk(minimal, None, args.http_seconds))
    return (*_medians(label, page), *_medians("最小视图", constant))


def _warm(label, url, cookie):
    """Check that `url` answers 200, then warm the workers' caches and connections."""
    if not answers_200(url, cookie):
        raise SystemExit(f"{label}（{url}）没有返回 200，测得的不是这个页面")
    wrk(url, cookie, 2)


def _medians(label, runs):
    errors = sum(e for _, _, e in runs)
    if errors:
        raise SystemExit(f"{label} 返回了 {errors} 个错误响应")
    return statistics.median(r for r, _, _ in runs), statistics.median(p for _, p, _ in runs)


def _page_verdict(key, province, single):
    """(goal text, met) of a page at province scale."""
    share = province["rate"] / province["minimal"]
    if key == "secretary":
        return "≥ 1/8 of minimal req/s; queries = single", (
            share >= SECRETARY_SHARE and province["queries"] == single["queries"]
        )
    if key in CROSS_ZONE_PAGES:
        return f"≤ {CROSS_ZONE_MS} ms cold", province["ms_cold"] <= CROSS_ZONE_MS
    goal = f"≤ {TIME_RATIO}× single (reloaded and cold), ≥ 1/20 of minimal req/s, queries = single"
    met = (
        province["ms"] <= TIME_RATIO * single["ms"]
        and province["ms_cold"] <= TIME_RATIO * single["ms_cold"]
        and share >= RATE_SHARE
        and province["queries"] == single["queries"]
        and province["queries_cold"] == single["queries_cold"]
    )
    if key == "dashboard":
        return f"{goal}, ≤ {DASHBOARD_MS} ms cold", met and province["ms_cold"] <= DASHBOARD_MS
    return goal, met


def _share(rate, minimal):
    return f"1/{minimal / rate:.0f}" if rate else "0"


def _pages_table(pages, orgs, per_zone):
    beside = pages["province"].values()
    minimal = statistics.median(row["minimal"] for row in beside)
    minimal_p99 = statistics.median(row["minimal_p99"] for row in beside)
    lines = [
        f"| page | server time at {orgs:,} | at {per_zone:,} (one zone) | ratio | queries "
        f"(province / one zone) | cold at {orgs:,} / one zone (ratio) | cold queries | req/s at "
        f"{orgs:,} (p99) | req/s one zone (p99) | ÷ minimal | goal | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        f"| 最小视图（基准） | — | — | — | 0 | — | — | {minimal:,.0f} (p99 {minimal_p99:.0f} ms) "
        "| — | 1 | — | — |",
    ]
    for key, province in pages["province"].items():
        single = pages["single"].get(key)
        if single is None:
            continue
        goal, met = _page_verdict(key, province, single)
        lines.append(
            f"| {province['label']} | {province['ms']:.0f} ms | {single['ms']:.0f} ms | "
            f"{province['ms'] / single['ms']:.2f} | {province['queries']} / {single['queries']} | "
            f"{province['ms_cold']:.0f} / {single['ms_cold']:.0f} ms "
            f"({province['ms_cold'] / single['ms_cold']:.2f}) | "
            f"{province['queries_cold']} / {single['queries_cold']} | "
            f"{province['rate']:,.0f} ({province['p99']:.0f} ms) | "
            f"{single['rate']:,.0f} ({single['p99']:.0f} ms) | "
            f"{_share(province['rate'], province['minimal'])} | {goal} | {'yes' if met else '**no**'} |"
        )
    return lines


def report(outcome, *, orgs, per_zone, rows, zone_rows, load, machine, args, seconds):
    today = datetime.date.today()
    lines = [
        "# Benchmarks",
        "",
        f"- Date: {today:%Y-%m-%d}",
        f"- Machine: {machine}",
        f"- Database: {_postgres()}",
        f"- Sizes: a province of {orgs:,} scored organizations in {args.zones} zones of about "
        f"{per_zone:,} ({rows:,} point rows: {outcome['years'][0]}–{outcome['years'][1]} and "
        f"{today.year} up to last month, that year's history dated around each month's close "
        f"deadline), and beside it a single-zone database of {per_zone:,} organizations "
        f"({zone_rows:,} point rows, generated the same way)",
        f"- Load: {load}",
        f"- Command: `make bench` (`python -m bench --orgs {orgs} --zones {args.zones} "
        f"--runs {args.runs}`), {seconds:.0f} s in all; every figure is the median of "
        f"{args.runs} runs (the export's peak memory: the median of the runs' peaks, the goal "
        f"checked against the highest; pages: {args.runs} wrk runs of {args.http_seconds} s "
        f"each, and the median of {IN_PROCESS_RUNS} in-process requests for server time)",
        "- Zone measured: the middle zone's office (`bench-staff`), its secretary, and the "
        "province's viewer with that zone chosen",
        "",
        "## One zone's reports",
        "",
        "| measure | app | limit | ratio | goal | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in outcome["results"]:
        label, app, limit, goal, verdict = row
        if "内存" in label:
            cells = [f"{app:.0f} MB", f"{limit:.0f} MB (bare)", f"{app / limit:.2f}"]
        elif limit is None:
            cells = [f"{app:.2f} s", "—", "—"]
        else:
            cells = [f"{app:.3f} s", f"{limit:.3f} s", f"{app / limit:.2f}"]
        met = "—" if verdict is None else ("yes" if verdict else "**no**")
        lines.append(f"| {label} | {' | '.join(cells)} | {goal} | {met} |")
    lines += [
        "",
        "## Pages: a zone of the province against a single-zone database",
        "",
        *_pages_table(outcome["pages"], orgs, per_zone),
        "",
        "Server time: Django answering the page in-process (test client, no network), warm, "
        "with no load running, the two databases asked in turn, request by request; queries "
        "counted on the same request. Reloaded: the page's "
        "content served from the cache under the zone's stamp, as between writes; cold: that "
        "cached content dropped before each request, as after a write to what the page shows "
        "(the first load then). Requests/s (reloads): gunicorn with 2 "
        "workers per database, both servers up, wrk with 2 threads and 8 connections on "
        "loopback, one page at a time; the ratio to the minimal view (a constant `HttpResponse` "
        "through the same middleware, its wrk runs taken in turn with each province page's; "
        "its row: the median over the pages) is the share of the machine's page rate the page "
        "gets.",
    ]
    if outcome["partitioning"]:
        p = outcome["partitioning"]
        lines += [
            "",
            "Partitioning the points by zone (a copy of the table with the zone's id, "
            "`PARTITION BY LIST (zone_id)`, one partition per zone): one zone's raw year scan "
            f"takes {p['partitioned']:.3f} s on its partition against {p['plain']:.3f} s on the "
            "plain table through the zone's organizations. The pages never scan the points (they "
            "read Scorecard); see docs/scaling.md.",
        ]
    lines += [
        "",
        "Limits: warnings against one `GROUP BY` over the quarter's raw point rows; grading against "
        "one `GROUP BY` over the year's raw rows with per-quarter sums; the export against a plain "
        "openpyxl write-only workbook of the same values, read beforehand (each export in a fresh "
        "process; peak RSS of that process); pages under gunicorn with 2 workers on loopback, wrk "
        "with 2 threads and 8 connections, against a view that returns a constant.",
        "",
    ]
    return "\n".join(lines)


def _postgres():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    return f"PostgreSQL {version} (shared_buffers {buffers}, defaults otherwise)"
