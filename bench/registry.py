"""The registry import at a city's scale: a 10,000-organization registry file (a secretary
with a new account on every organization, a covered unit with its 统一社会信用代码 on every
branch) read, checked, planned and applied into a new zone, and the same file imported again
(nothing to change). The limit is issue 17's: under 30 s.

Each run works inside a transaction that is rolled back, so it leaves the database as it
found it and can run on any database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partybuild_registry python -m bench.registry
"""

import datetime
import os
import sys
import time
from statistics import median

ORGS = 10_000
COMMITTEES = 100
LIMIT = 30.0


def registry_file(code, orgs):
    """The zone's file: the working committee `code`, COMMITTEES committees and the rest as
    branches spread over them, parents listed after their children (as the import allows)."""
    from orgs import registry_sheet
    from orgs.credit_code import check_character

    day = datetime.date(2010, 5, 1)
    branches, committees, units = [], [], []
    for n in range(orgs - COMMITTEES):
        committee = f"{code}-{n % COMMITTEES:03d}"
        branch = f"{committee}-{n // COMMITTEES:04d}"
        branches.append(
            [
                branch,
                f"第{n}党支部",
                f"第{n}支部",
                "党支部",
                "非公企业",
                committee,
                12,
                day,
                "否",
                "ABC"[n % 3],
                f"书记{n}",
                f"17{n:09d}",
                None,
                "在用",
            ]
        )
        first = f"91341599{n:09d}"
        units.append([branch, f"第{n}公司", first + check_character(first), "非公企业", 50])
    for c in range(COMMITTEES):
        n = orgs - COMMITTEES + c
        committees.append(
            [
                f"{code}-{c:03d}",
                f"第{c}党委",
                f"第{c}党委",
                "党委",
                "非公企业",
                code,
                40,
                day,
                "否",
                "B",
                f"书记{n}",
                f"17{n:09d}",
                None,
                "在用",
            ]
        )
    return registry_sheet.registry_file(branches + committees, units)


def _zone(code):
    from orgs.models import User
    from orgs.services import create_zone

    zone = create_zone(
        name=f"名册测速区{code}",
        code=code,
        region=None,
        root_name="测速区党工委",
        root_short_name="党工委",
        root_members=9,
        root_founded_on=datetime.date(2000, 1, 1),
        admin_username=f"{code.lower()}-admin",
        admin_name="测速管理员",
        admin_password="a-long-bench-password",
    )
    return zone, User.objects.get(username=f"{code.lower()}-admin")


def one_run(data, *, code="RGBENCH"):
    """(seconds to import the file into a new zone, seconds to import it again, this
    process's CPU seconds for both), rolled back."""
    from django.db import transaction

    from orgs import registry

    year = datetime.date.today().year
    cpu = time.process_time()
    with transaction.atomic():
        zone, admin = _zone(code)
        started = time.perf_counter()
        plan = registry.prepare(data, "名册.xlsx", zone=zone, year=year)
        applied = registry.apply(plan=plan, by=admin, source="名册.xlsx")
        first = time.perf_counter() - started
        assert applied.created == ORGS and len(applied.opened) == ORGS, applied
        started = time.perf_counter()
        again = registry.prepare(data, "名册.xlsx", zone=zone, year=year)
        registry.apply(plan=again, by=admin, source="名册.xlsx")
        second = time.perf_counter() - started
        assert not (again.created or again.changed or again.moved), "re-import changed rows"
        transaction.set_rollback(True)
    return first, second, time.process_time() - cpu


def measure(*, runs, say):
    """The rows of make bench's table."""
    say(f"导入 {ORGS:,} 个组织的党组织名册（每个组织新开书记账号）…")
    data = registry_file("RGBENCH", ORGS)
    times = [one_run(data) for _ in range(runs)]
    # The runs' rolled-back rows leave the planner's statistics off by tens of thousands of
    # rows until autovacuum's next pass analyzes them; analyze now, as it would within minutes,
    # so that the pages measured next are planned as on a settled database.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    first, second = median(t[0] for t in times), median(t[1] for t in times)
    say(f"  本进程 CPU（两次导入合计，中位数）：{median(t[2] for t in times):.1f} s")
    return [
        (
            f"名册导入：{ORGS:,} 个组织、{ORGS:,} 个书记账号",
            first,
            None,
            f"< {LIMIT:.0f} s",
            first < LIMIT,
        ),
        (
            f"名册再次导入（{ORGS:,} 个组织无变化）",
            second,
            None,
            f"< {LIMIT:.0f} s",
            second < LIMIT,
        ),
    ]


def main():
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    runs = int(os.environ.get("RUNS", "3"))
    for label, seconds, _, goal, met in measure(runs=runs, say=print):
        print(
            f"{label}: {seconds:.1f} s（目标 {goal}，{'达到' if met else '未达到'}；{runs} 次中位数）"
        )


if __name__ == "__main__":
    main()
