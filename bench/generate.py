"""Prepare one bench database: migrate it, and generate its province unless one of the same
size is there already (or with --fresh, always):

    python -m bench.generate ORGS ZONES [--fresh]      (DATABASE_URL names the database)

Prints its progress; the last line is JSON: {"rows": point rows, "load": how they loaded}.
"""

import argparse
import datetime
import json

import django


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.generate")
    parser.add_argument("orgs", type=int)
    parser.add_argument("zones", type=int)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import province

    call_command("migrate", verbosity=0)
    today = datetime.date.today()
    years = [today.year - 2, today.year - 1]
    print(
        f"  {args.zones} 个区共 {args.orgs:,} 个组织，{years[0]}–{years[1]} 两年积分和 "
        f"{today.year} 年至上月",
        flush=True,
    )
    if args.fresh or not province.loaded(args.orgs, args.zones):
        rows, load = province.generate(
            orgs=args.orgs, zones=args.zones, years=years, say=lambda t: print(t, flush=True)
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM scoring_pointentry")
            rows = cursor.fetchone()[0]
        load = "reused the province of an earlier run (`--fresh` regenerates and times it)"
        print(f"  沿用已生成的数据（{rows:,} 行积分；--fresh 可重新生成）", flush=True)
    print(json.dumps({"rows": rows, "load": load}, ensure_ascii=False))


if __name__ == "__main__":
    main()
