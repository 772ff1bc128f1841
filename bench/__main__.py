"""make bench: a synthetic province on PostgreSQL, the app's own code paths measured against
their limits in one run, and the table written to BENCHMARKS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partybuild_bench python -m bench --orgs 100000
"""

import argparse
import datetime
import os
import shutil
import sys
import time
from pathlib import Path

import dj_database_url

from bench.tools import ENVIRONMENT, ROOT, in_subprocess, machine

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partybuild_bench"


def say(text):
    print(text, flush=True)


def at_least_five(text):
    runs = int(text)
    if runs < 5:
        raise argparse.ArgumentTypeError("每项至少测 5 次取中位数")
    return runs


def parse_args():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100_000, help="scored organizations (100000)")
    parser.add_argument("--zones", type=int, default=300, help="zones they are spread over (300)")
    parser.add_argument(
        "--runs", type=at_least_five, default=5, help="runs per figure, median (5; at least 5)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop the bench database and regenerate the province"
    )
    parser.add_argument(
        "--http-seconds", type=int, default=4, help="wrk duration of each run per page (4)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--no-partitioning", action="store_true", help="skip the partitioning trial"
    )
    return parser.parse_args()


def ensure_database(url, *, fresh):
    """Create the bench database if missing; with `fresh`, drop it first so that its schema is
    whatever the migrations say today."""
    import psycopg2

    config = dj_database_url.parse(url)
    server = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        if fresh:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    server.close()


def one_zone_url(url):
    """The single-zone database beside the province: the same server, `<name>_zone_bench`."""
    config = dj_database_url.parse(url)
    name = config["NAME"].removesuffix("_bench") + "_zone_bench"
    return url.rsplit("/", 1)[0] + "/" + name


def main():
    args = parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "make bench 只支持 PostgreSQL：请把 DATABASE_URL 设为 postgres://…（未设置时使用 "
            f"{DEFAULT_URL}）。SQLite 不能代表省级规模。"
        )
    name = dj_database_url.parse(url)["NAME"] or ""
    if not name.endswith("_bench"):
        # The province replaces every table's rows, and --fresh drops the database.
        raise SystemExit(
            f"make bench 会清空并重建所用的数据库；为防误用，数据库名须以 _bench 结尾（现在是 "
            f"“{name}”）。例如 DATABASE_URL={DEFAULT_URL}"
        )
    if shutil.which("wrk") is None:
        raise SystemExit("需要 wrk 作为压测工具：apt-get install wrk")
    started = time.perf_counter()
    zone_url = one_zone_url(url)
    per_zone = args.orgs // args.zones
    prepared = {}
    for label, target, orgs, zones in (
        ("省级合成数据", url, args.orgs, args.zones),
        ("单区对照数据库（一个区的规模）", zone_url, per_zone, 1),
    ):
        say(f"{label}（{dj_database_url.parse(target)['NAME']}）：")
        ensure_database(target, fresh=args.fresh)
        fresh = ["--fresh"] if args.fresh else []
        prepared[target] = in_subprocess("bench.generate", orgs, zones, *fresh, url=target)
    os.environ.update(ENVIRONMENT)
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench import measures

    today = datetime.date.today()
    years = [today.year - 2, today.year - 1]
    results = measures.run(args=args, url=url, zone_url=zone_url, years=years, say=say)
    report = measures.report(
        results,
        orgs=args.orgs,
        per_zone=per_zone,
        rows=prepared[url]["rows"],
        zone_rows=prepared[zone_url]["rows"],
        load=prepared[url]["load"],
        machine=machine(),
        args=args,
        seconds=time.perf_counter() - started,
    )
    args.output.write_text(report)
    say(report)
    say(f"已写入 {args.output}（共 {time.perf_counter() - started:.0f} s）")


if __name__ == "__main__":
    main()
