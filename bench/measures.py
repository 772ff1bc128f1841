"""The figures: each app path beside its limit, in one run, as medians."""

import datetime
import os
import signal
import statistics
import time

from django.db import connection

from bench import registry
from bench.province import measured_zone
from bench.tools import (
    RAW_QUARTER,
    RAW_YEAR,
    answers_200,
    export_in_subprocess,
    median,
    raw,
    serve,
    session_cookie,
    wrk,
)
from orgs.models import Organization, Role, User
from scoring import rules
from scoring.grades import live_rows
from scoring.models import AnnualResult, PointEntry, RuleSet, Scorecard, YearState
from scoring.services.grading import finalize_year
from scoring.services.points import record_points
from scoring.sheets import month_template
from scoring.standings import level_counts, quarter_standings

PORT = int(os.environ.get("BENCH_PORT", "8101"))


def run(*, args, url, years, say):
    results = []
    last = years[-1]
    zone = measured_zone()
    rule_set = RuleSet.objects.get(zone=zone, year=last)
    scored = Organization.objects.in_zone(zone).scored()

    say(f"季度预警（{zone.name}全部组织）…")
    app = median(lambda: level_counts(quarter_standings(zone, scored, last, 4).values()), args.runs)
    limit = median(raw(RAW_QUARTER, [last, 10, 11, 12, zone.pk]), args.runs)
    results.append(("季度预警：一个区全部组织的等级", app, limit, "≤ 0.5", app / limit <= 0.5))

    say(f"年度定级（{zone.name}全部组织）…")
    app = median(lambda: list(live_rows(rule_set, today=datetime.date(last + 1, 1, 1))), args.runs)
    limit = median(raw(RAW_YEAR.format(table="scoring_pointentry"), [last, zone.pk]), args.runs)
    results.append(
        (
            "年度定级：一个区的季度分、总分、等次、排名、预警次数",
            app,
            limit,
            "≤ 0.5",
            app / limit <= 0.5,
        )
    )

    partitioning = None if args.no_partitioning else _partitioning(args, last, limit, say)

    say("定级并导出评级表…")
    if not YearState.objects.filter(zone=zone, year=last, finalized=True).exists():
        staff = User.objects.get(username="bench-staff")
        started = time.perf_counter()
        finalize_year(zone=zone, year=last, user=staff)
        graded = AnnualResult.objects.filter(zone=zone, year=last).count()
        say(f"  定级 {graded:,} 个组织：{time.perf_counter() - started:.1f} s")
    app_runs = [export_in_subprocess("app", zone.code, last, url) for _ in range(args.runs)]
    bare_runs = [export_in_subprocess("bare", zone.code, last, url) for _ in range(args.runs)]
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

    say("gunicorn（2 个 worker）+ wrk…")
    results.extend(_http(args, url, last))
    return {"results": results, "partitioning": partitioning, "years": years}


def _partitioning(args, year, plain, say):
    """The year scan on a copy of the points partitioned by year, beside the plain table."""
    say("按年分区试验…")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_points_by_year")
        cursor.execute(
            "CREATE TABLE bench_points_by_year (LIKE scoring_pointentry) PARTITION BY LIST (year)"
        )
        cursor.execute("SELECT DISTINCT year FROM scoring_pointentry")
        for (y,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE bench_points_{y} PARTITION OF bench_points_by_year FOR VALUES IN ({y})"
            )
        cursor.execute("INSERT INTO bench_points_by_year SELECT * FROM scoring_pointentry")
        cursor.execute("ANALYZE bench_points_by_year")
    zone = measured_zone()
    partitioned = median(
        raw(RAW_YEAR.format(table="bench_points_by_year"), [year, zone.pk]), args.runs
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_points_by_year")
    return {"plain": plain, "partitioned": partitioned}


def _import(args, zone, years):
    """Parse, validate, preview and save a filled-in template of 304 organizations of the
    zone, into a month of the current year that is emptied again after each run."""
    year, month = years[-1] + 1, 1
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
        PointEntry.history.filter(year=year, month=month).delete()
        PointEntry.objects.filter(year=year, month=month).delete()
        Scorecard.objects.filter(year=year, organization__in=ids).delete()

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
    for row in range(month_template.FIRST_DATA_ROW, ws.max_row + 1):
        for column, item in enumerate(items, start=3):
            if item.kind == rules.ROUTINE:
                ws.cell(row, column, float(item.quarterly_cap))
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _http(args, url, year):
    secretary = User.objects.filter(username="bench-secretary").first()
    if secretary is None:
        secretary = User.objects.create(
            username="bench-secretary", role=Role.SECRETARY, zone=measured_zone()
        )
    org = Organization.objects.in_zone(measured_zone()).filter(depth=3).order_by("path").first()
    Organization.objects.filter(secretary=secretary).update(secretary=None)
    Organization.objects.filter(pk=org.pk).update(secretary=secretary)
    staff = User.objects.get(username="bench-staff")
    secretary_cookie, staff_cookie = session_cookie(secretary), session_cookie(staff)
    server = serve(url, PORT)
    base = f"http://127.0.0.1:{PORT}"
    pages = [
        ("最小视图（基准）", "/bench/minimal/", None),
        ("书记首页", f"/status/{org.pk}/", secretary_cookie),
        ("月度录入表格（50 个组织）", f"/points/{year}/12/", staff_cookie),
        ("季度预警页（实时计算）", f"/warnings/{year}/4/", staff_cookie),
    ]
    measured = []
    try:
        for label, path, cookie in pages:
            if not answers_200(base + path, cookie):
                raise SystemExit(f"{label}（{path}）没有返回 200，测得的不是这个页面")
            wrk(base + path, cookie, 2)  # warm the workers' caches and connections
            runs = [wrk(base + path, cookie, args.http_seconds) for _ in range(args.runs)]
            errors = sum(e for _, _, e in runs)
            if errors:
                raise SystemExit(f"{label} 返回了 {errors} 个错误响应")
            rate = statistics.median(r for r, _, _ in runs)
            p99 = statistics.median(p for _, p, _ in runs)
            measured.append((label, rate, p99))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    minimal = measured[0][1]
    rows = []
    for label, rate, p99 in measured:
        goal = "≥ 1/8" if label == "书记首页" else "—"
        verdict = rate / minimal >= 1 / 8 if label == "书记首页" else None
        rows.append((f"HTTP {label}", rate, minimal, goal, verdict, p99))
    return rows


def report(outcome, *, orgs, rows, load, machine, args):
    today = datetime.date.today()
    lines = [
        "# Benchmarks",
        "",
        f"- Date: {today:%Y-%m-%d}",
        f"- Machine: {machine}",
        f"- Database: {_postgres()}",
        f"- Sizes: {orgs:,} scored organizations in {args.zones} zones, {rows:,} point rows "
        f"({outcome['years'][0]}–{outcome['years'][1]})",
        f"- Load: {load}",
        f"- Command: `make bench` (`python -m bench --orgs {orgs} --zones {args.zones} --runs {args.runs}`); "
        f"every figure is the median of {args.runs} runs (the export's peak memory: the median "
        f"of the runs' peaks, the goal checked against the highest; pages: {args.runs} wrk runs "
        f"of {args.http_seconds} s each)",
        "",
        "| measure | app | limit | ratio | goal | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in outcome["results"]:
        label, app, limit, goal, verdict = row[:5]
        if label.startswith("HTTP"):
            cells = [
                f"{app:,.0f} req/s, p99 {row[5]:.0f} ms",
                f"{limit:,.0f} req/s",
                f"{app / limit:.3f}",
            ]
        elif "内存" in label:
            cells = [f"{app:.0f} MB", f"{limit:.0f} MB (bare)", f"{app / limit:.2f}"]
        elif limit is None:
            cells = [f"{app:.2f} s", "—", "—"]
        else:
            cells = [f"{app:.3f} s", f"{limit:.3f} s", f"{app / limit:.2f}"]
        met = "—" if verdict is None else ("yes" if verdict else "**no**")
        lines.append(f"| {label} | {' | '.join(cells)} | {goal} | {met} |")
    if outcome["partitioning"]:
        p = outcome["partitioning"]
        lines += [
            "",
            "Partitioning the points by year (a copy of the table, `PARTITION BY LIST (year)`): the "
            f"raw year scan takes {p['partitioned']:.3f} s partitioned against {p['plain']:.3f} s "
            "plain. The app's grading never scans the points (it reads Scorecard), so the table "
            "stays unpartitioned; see docs/scaling.md.",
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
