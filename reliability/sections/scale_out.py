"""Scale-out as production would run it: the app reaches the primary through PgBouncer in
transaction mode and reads reports from a streaming replica (DATABASE_REPLICA_URL).

A staff journey over HTTP must work end to end through the pooler, and the grade sheet and
the notice exports must be read on the replica. Two kinds of evidence: pg_stat_statements on
each server counts the export's statements where they ran; and with replay paused on the
replica, a point saved on the primary is missing from the export until replay resumes,
which can only be if the export read the replica.
"""

from reliability import pgbouncer, postgres, sheets
from reliability.app import production_env, serve
from reliability.environment import Environment
from reliability.http import Browser, Response, grid_versions
from reliability.postgres import Cluster
from reliability.report import Outcome
from reliability.system import CLEANUP

TITLE = "Scale-out: PgBouncer (transaction mode) and a streaming replica"
MONTH = 7  # the third quarter: the grade sheet shows it in its own column
QUARTER_COLUMN = "第三季度"


def statements(cluster: Cluster, database: str, table: str) -> int:
    """Calls of the app's statements naming `table` on `cluster` since the last reset."""
    return int(
        cluster.value(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
            " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s AND s.query ILIKE %s",
            (database, f"%{table}%"),
            database,
        )
    )


def reset_statements(database: str, *clusters: Cluster) -> None:
    # The extension's functions live in the app's database, where the seed created it.
    for cluster in clusters:
        cluster.query("SELECT pg_stat_statements_reset()", database=database)


def save(browser: Browser, year: int, org: int, items: list[int], value: str) -> Response:
    page = browser.get(f"/points/{year}/{MONTH}/")
    versions = grid_versions(page.text)
    return browser.post_json(
        "/points/save/",
        {
            "year": year,
            "cells": [
                {
                    "org": org,
                    "item": item,
                    "month": MONTH,
                    "value": value,
                    "version": versions.get((org, item), 0),
                }
                for item in items
            ],
        },
    )


def is_xlsx(response: Response) -> bool:
    return response.status == 200 and response.headers.get("Content-Type", "").startswith(
        sheets.XLSX
    )


def journey(outcome: Outcome, browser: Browser, env: Environment, org: int) -> None:
    """Sign in, open the grid, save, open warnings and grading: each step answered."""
    data = env.dataset
    year = data.year
    outcome.check("journey: staff signs in", browser.login(data.staff[-1], data.password))
    home = browser.get("/")
    outcome.check(
        "journey: GET / → the dashboard (the office's home)",
        home.status == 302 and home.headers.get("Location") == "/dashboard/",
    )
    for path in (
        "/dashboard/",
        "/orgs/",
        f"/points/{year}/{MONTH}/",
        f"/warnings/{year}/{data.published_quarter}/",
        f"/warnings/{year}/3/",
        f"/grading/{year}/",
        f"/warnings/{year}/{data.published_quarter}/notice/",
    ):
        status = browser.get(path).status
        outcome.check(f"journey: GET {path} → {status}", status == 200)
    saved = save(browser, year, org, data.items[:3], "1.0")
    outcome.check(f"journey: the grid saves 3 cells → {saved.status}", saved.status == 200)


def exports_read_the_replica(
    outcome: Outcome, browser: Browser, env: Environment, replica: Cluster
) -> None:
    year, quarter = env.dataset.year, env.dataset.published_quarter
    database = env.database
    for label, path, table in (
        ("grade sheet", f"/grading/{year}/export/", "scoring_scorecard"),
        ("notice", f"/warnings/{year}/{quarter}/export/", "scoring_warning"),
    ):
        reset_statements(database, env.primary, replica)
        lag_bytes, lag_seconds = postgres.replication_lag(env.primary, replica)
        response = browser.get(path)
        on_replica = statements(replica, database, table)
        on_primary = statements(env.primary, database, table)
        outcome.figure(
            f"{label} export: replica lag at the read, bytes / s",
            f"{lag_bytes} / {lag_seconds:.3f}",
        )
        outcome.figure(
            f"{label} export: statements on {table}, replica / primary",
            f"{on_replica} / {on_primary}",
        )
        outcome.check(f"journey: GET {path} → an .xlsx", is_xlsx(response))
        outcome.check(
            f"the {label} export read {table} on the replica only",
            on_replica > 0 and on_primary == 0,
        )


def stale_while_paused(
    outcome: Outcome, browser: Browser, env: Environment, replica: Cluster, org: dict
) -> None:
    """Pause replay, save on the primary, export: the sheet shows the value from before the
    save, then the new one once the replica has replayed it."""
    year, code = env.dataset.year, str(org["code"])
    export = f"/grading/{year}/export/"
    postgres.wait_replayed(env.primary, replica)
    before = sheets.grade_column(browser.get(export).body, QUARTER_COLUMN)[code]
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        saved = save(browser, year, int(org["id"]), env.dataset.items[3:5], "1.0")
        postgres.wait_received(env.primary, replica)
        lag_bytes, _ = postgres.replication_lag(env.primary, replica)
        during = sheets.grade_column(browser.get(export).body, QUARTER_COLUMN)[code]
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
    postgres.wait_replayed(env.primary, replica)
    after = sheets.grade_column(browser.get(export).body, QUARTER_COLUMN)[code]
    outcome.figure(
        f"{code} {QUARTER_COLUMN} in the export: before / replay paused / replayed",
        f"{before} / {during} / {after}",
    )
    outcome.figure("replica lag while replay was paused, bytes", lag_bytes)
    outcome.check("a save while replay is paused answered 200", saved.status == 200)
    outcome.check(
        "the export showed older data while replay was paused, the new after",
        during == before and after != before and lag_bytes > 0,
    )


def replica_down(outcome: Outcome, browser: Browser, env: Environment, replica: Cluster) -> None:
    """With the replica stopped, what reads it answers 503 系统繁忙 (no fallback to the primary:
    the router sends reports to the replica whenever one is configured); the rest works."""
    year = env.dataset.year
    replica.ctl("stop", "-m", "fast")
    try:
        export = browser.get(f"/grading/{year}/export/")
        page = browser.get(f"/grading/{year}/")
    finally:
        replica.start()
    outcome.check(
        f"replica stopped: the grade sheet export answers 503 系统繁忙 ({export.status})",
        export.status == 503 and "系统繁忙" in export.text,
    )
    outcome.check(
        f"replica stopped: the grading page still answers ({page.status})", page.status == 200
    )
    again = browser.get(f"/grading/{year}/export/")
    outcome.check(f"replica back: the export answers again ({again.status})", is_xlsx(again))


def pooler(outcome: Outcome, bouncer: pgbouncer.PgBouncer, database: str) -> None:
    pools = [p for p in bouncer.show("POOLS") if p["database"] == database]
    stats = [s for s in bouncer.show("STATS") if s["database"] == database]
    mode = {row["key"]: row["value"] for row in bouncer.show("CONFIG")}["pool_mode"]
    servers = sum(
        int(p[k])
        for p in pools
        for k in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
    )
    outcome.figure(
        "PgBouncer transactions / queries pooled",
        f"{sum(int(s['total_xact_count']) for s in stats)} / {sum(int(s['total_query_count']) for s in stats)}",
    )
    clients = [c for c in bouncer.show("CLIENTS") if c["database"] == database]
    outcome.figure(
        "PgBouncer client connections (the app's) / server connections",
        f"{len(clients)} / {servers}",
    )
    outcome.check(f"PgBouncer ran in transaction mode ({mode})", mode == "transaction")
    outcome.check(
        "the app's statements went through PgBouncer",
        sum(int(s["total_query_count"]) for s in stats) > 0,
    )


def run(env: Environment) -> Outcome:
    outcome = Outcome()
    with CLEANUP.scope():
        replica = postgres.create_replica(env.primary)
        bouncer = pgbouncer.start(env.primary, env.workdir)
        app = serve(
            production_env(
                bouncer.url(env.database), replica_url=replica.url(env.database), pooled=True
            ),
            name="gunicorn-scaled",
        )
        outcome.check(
            "the replica is in recovery (a standby)", replica.value("SELECT pg_is_in_recovery()")
        )
        browser = Browser(app.base)
        organizations = env.dataset.organizations
        journey(outcome, browser, env, int(organizations[-2]["id"]))
        exports_read_the_replica(outcome, browser, env, replica)
        stale_while_paused(outcome, browser, env, replica, organizations[-3])
        replica_down(outcome, browser, env, replica)
        pooler(outcome, bouncer, env.database)
    return outcome
