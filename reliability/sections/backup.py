"""Backup and restore as README.md documents it ("Backup and restore"): pg_dump -Fc of the live database,
pg_restore into a fresh one, and the restored copy must be the same database: every table's
rows, every sequence's position, no migration missing, and the sheets the office hands
upward (the grade sheet and the points backup) with the same cell values.
"""

import time

from reliability import sheets
from reliability.app import manage, production_env
from reliability.environment import Environment
from reliability.postgres import BIN, Cluster, create_database
from reliability.report import Outcome
from reliability.system import CLEANUP
from reliability.system import run as run_command

TITLE = "Backup and restore: pg_dump -Fc, pg_restore into a fresh database"


def tables(cluster: Cluster, database: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of its rows in a fixed order)} of the public schema."""
    names = [
        name
        for (name,) in cluster.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            database=database,
        )
    ]
    contents = {}
    for name in names:
        rows, digest = cluster.query(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
            f' FROM "{name}" t',
            database=database,
        )[0]
        contents[name] = (rows, digest)
    return contents


def sequences(cluster: Cluster, database: str) -> dict[str, int | None]:
    # A restore that rewinds a sequence would make the next insert collide with a kept row.
    return dict(
        cluster.query(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'",
            database=database,
        )
    )


def dump(cluster: Cluster, database: str, target) -> float:
    started = time.monotonic()
    run_command(
        [
            str(BIN / "pg_dump"),
            "--format=custom",
            "--host=127.0.0.1",
            f"--port={cluster.port}",
            "--username=postgres",
            f"--dbname={database}",
            f"--file={target}",
        ]
    )
    return time.monotonic() - started


def restore(cluster: Cluster, database: str, source) -> float:
    started = time.monotonic()
    run_command(
        [
            str(BIN / "pg_restore"),
            "--host=127.0.0.1",
            f"--port={cluster.port}",
            "--username=postgres",
            f"--dbname={database}",
            "--exit-on-error",
            "--no-owner",
            str(source),
        ]
    )
    return time.monotonic() - started


def exported(env: Environment, database: str, command: str, year: int, name: str):
    target = env.workdir / f"{name}.xlsx"
    manage(
        production_env(env.primary.url(database)),
        command,
        f"--year={year}",
        f"--output={target}",
    )
    return sheets.values(target)


def compare(env: Environment, outcome: Outcome) -> None:
    cluster, original, year = env.primary, env.database, env.dataset.year
    copy = f"{original}_restored"
    archive = env.workdir / f"{original}.dump"
    outcome.figure("pg_dump -Fc, seconds", round(dump(cluster, original, archive), 2))
    outcome.figure("dump size, KiB", round(archive.stat().st_size / 1024))
    create_database(cluster, copy)
    CLEANUP.push(
        f"drop database {copy}",
        lambda: cluster.query(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'),
    )
    outcome.figure("pg_restore, seconds", round(restore(cluster, copy, archive), 2))

    before, after = tables(cluster, original), tables(cluster, copy)
    outcome.figure(
        "tables / rows compared", f"{len(before)} / {sum(r for r, _ in before.values()):,}"
    )
    outcome.check("the restored database has the same tables", before.keys() == after.keys())
    differing = sorted(name for name in before if before[name] != after.get(name))
    outcome.check(
        f"every table's rows are identical (differ: {', '.join(differing) or 'none'})",
        not differing,
    )
    outcome.check(
        "every sequence continues where it was",
        sequences(cluster, original) == sequences(cluster, copy),
    )
    try:
        manage(production_env(cluster.url(copy)), "migrate", "--check", "-v0")
        migrated = True
    except Exception:
        migrated = False
    outcome.check("the restored database needs no migration", migrated)

    for command, label in (("export_grades", "grade sheet"), ("export_points", "points backup")):
        first = sheets.without_dates(exported(env, original, command, year, f"{command}-original"))
        second = sheets.without_dates(exported(env, copy, command, year, f"{command}-restored"))
        rows = sum(len(r) for r in first.values())
        outcome.figure(f"{label} ({command}): sheets / rows compared", f"{len(first)} / {rows}")
        outcome.check(
            f"the {label} from the restored copy has the same cell values", first == second
        )
        outcome.check(f"the {label} is not empty", rows > 10)


def run(env: Environment) -> Outcome:
    outcome = Outcome()
    with CLEANUP.scope():
        compare(env, outcome)
    return outcome
