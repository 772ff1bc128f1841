"""A synthetic province in PostgreSQL: zones of a few hundred organizations each, organizations by
COPY, two years of points generated server-side by INSERT … SELECT, then the quarter totals the
app keeps, computed in one pass.

The load bypasses record_points() (which would take hours for 20 million rows); Scorecard sums
are filled with the same definition the app maintains and their warning levels by the app's own
refresh_levels(); a property test in the suite proves that the app keeps both equal to what the
raw rows give after any sequence of writes.
"""

import io
import time

from django.db import connection, transaction
from django.utils import timezone
from treebeard.numconv import NumConv

from dashboard.completeness import deadline_end
from orgs.models import Organization, Region, RegionKind, Role, User, Zone
from scoring.models import RuleSet
from scoring.services.grading import finalize_year
from scoring.services.rulesets import create_rule_set
from scoring.services.scorecards import refresh_levels

# Branches under each committee: a zone of about 330 organizations has ten committees, as the
# demo zone of 304 has.
PER_COMMITTEE = 32
ALPHABET = Organization.alphabet
STEP = Organization.steplen


def step(number):
    return NumConv(ALPHABET).int2str(number).rjust(STEP, ALPHABET[0])


def zone_sizes(orgs, zones):
    """Scored organizations per zone: `orgs` spread as evenly as whole numbers allow."""
    return [orgs // zones + (1 if z < orgs % zones else 0) for z in range(zones)]


def _organizations_copy(zone_ids, sizes):
    """TSV rows for COPY: per zone its root (the 党工委) and committees of PER_COMMITTEE
    branches, `size` scored organizations in all."""
    sectors = ["agency", "agency", "village", "village", *["non_public"] * 5, "social"]
    out = io.StringIO()
    now = "\tt\tf\t2026-01-01 00:00:00+08\t2026-01-01 00:00:00+08"
    for z, (zone_id, size) in enumerate(zip(zone_ids, sizes, strict=True), start=1):
        committees = -(-size // (PER_COMMITTEE + 1))
        root = step(z)
        out.write(
            f"{zone_id}\t{root}\t1\t{committees}\t合成第{z}区党工委\t第{z}区\tZ{z:03d}\t"
            f"working_committee\tagency\t50\t2000-01-01{now}\n"
        )
        made = 0
        for c in range(1, committees + 1):
            path = root + step(c)
            branches = min(PER_COMMITTEE, size - made - 1)
            made += 1 + branches
            out.write(
                f"{zone_id}\t{path}\t2\t{branches}\t合成第{z}区第{c}党委\t第{c}党委\tP{c:05d}\t"
                f"committee\t{sectors[c % 10]}\t30\t2005-07-01{now}\n"
            )
            for b in range(1, branches + 1):
                out.write(
                    f"{zone_id}\t{path}{step(b)}\t3\t0\t合成第{z}区第{c}党委第{b}党支部\t{c}-{b}支部\t"
                    f"P{c:05d}-{b:03d}\tbranch\t{sectors[(c + b) % 10]}\t{3 + (c * b) % 40}\t"
                    f"2010-03-01{now}\n"
                )
    out.seek(0)
    return out


POINTS_SQL = """
INSERT INTO scoring_pointentry (organization_id, item_id, year, month, points, note, updated_at, version)
SELECT o.id, i.id, %(year)s,
       q * 3 - 2 + ((o.id + i.id + p) %% 3),
       CASE WHEN i.quarterly_cap <= 1.0 THEN i.quarterly_cap
            WHEN p = 0 THEN ceil(i.quarterly_cap) / 2
            ELSE i.quarterly_cap - ceil(i.quarterly_cap) / 2 END,
       '', now(), 1
FROM orgs_organization o
JOIN scoring_ruleset r ON r.zone_id = o.zone_id AND r.year = %(year)s
JOIN scoring_item i ON i.rule_set_id = r.id AND i.kind = 'routine'
CROSS JOIN generate_series(1, 4) q
CROSS JOIN generate_series(0, 1) p
WHERE o.depth > 1
  AND (p = 0 OR i.quarterly_cap > 1.0)
  AND (o.id * 31 + i.id * 17 + q * 7 + p * 3 + %(year)s) %% 100 >=
      CASE WHEN o.id %% 20 < 14 THEN 3 WHEN o.id %% 20 < 18 THEN 15 ELSE 40 END
UNION ALL
SELECT o.id, i.id, %(year)s, q * 3,
       CASE i.code WHEN 'F1' THEN 1.0 WHEN 'F2' THEN 3.0 WHEN 'D1' THEN -1.0 ELSE -10.0 END,
       '', now(), 1
FROM orgs_organization o
JOIN scoring_ruleset r ON r.zone_id = o.zone_id AND r.year = %(year)s
JOIN scoring_item i ON i.rule_set_id = r.id AND i.kind <> 'routine'
CROSS JOIN generate_series(1, 4) q
WHERE o.depth > 1 AND (
       (i.code = 'F1' AND o.id %% 13 = q)
    OR (i.code = 'F2' AND o.id %% 97 = 0 AND q = 4)
    OR (i.code = 'D1' AND o.id %% 29 = q)
    OR (i.code = 'D2' AND o.id %% 5000 = 0 AND q = 2))
"""

# The running year, month by month as offices enter it: every routine item of a month gets an
# entry (its quarter's points in one month, 0 in the others), dated like the work of an office
# around each month's close deadline: 80 % of the organization-months complete before the
# deadline, 8 % complete late, 7 % partly entered, 5 % not at all; nothing dated after now, so
# the month being entered is still in progress. `d` is the end of each month's deadline day.
RUNNING_YEAR_SQL = """
INSERT INTO scoring_pointentry (organization_id, item_id, year, month, points, note, updated_at, version)
SELECT organization_id, item_id, %(year)s, month, points, '', entered_at, 1
FROM (
    SELECT o.id AS organization_id, i.id AS item_id, d.month,
           CASE WHEN (d.month - 1) %% 3 = (o.id + i.id) %% 3 THEN i.quarterly_cap ELSE 0 END
               AS points,
           CASE WHEN (o.id * 31 + d.month * 7) %% 100 BETWEEN 80 AND 87
                THEN d.deadline + interval '1 hour' * (6 + (o.id * 13 + d.month) %% 100)
                ELSE d.deadline - interval '1 hour' * (12 + (o.id * 13 + d.month) %% 200) END
               AS entered_at,
           (o.id * 31 + d.month * 7) %% 100 AS h, (o.id + i.id) %% 3 AS part
    FROM orgs_organization o
    JOIN scoring_ruleset r ON r.zone_id = o.zone_id AND r.year = %(year)s
    JOIN scoring_item i ON i.rule_set_id = r.id AND i.kind = 'routine'
    CROSS JOIN unnest(%(months)s::int[], %(deadlines)s::timestamptz[]) AS d(month, deadline)
    WHERE o.depth > 1
) cells
WHERE h < 95 AND (h < 88 OR part <> 0) AND entered_at <= now()
"""

# Each running-year entry's history row, as record_points writes one, at the entry's date.
RUNNING_HISTORY_SQL = """
INSERT INTO scoring_historicalpointentry (id, year, month, points, note, version,
    history_change_reason, history_date, history_type, organization_id, item_id)
SELECT id, year, month, points, note, version, '合成数据', updated_at, '+', organization_id, item_id
FROM scoring_pointentry WHERE year = %(year)s
"""

SCORECARDS_SQL = """
INSERT INTO scoring_scorecard (organization_id, zone_id, year, q1, q2, q3, q4, e1, e2, e3, e4,
                               l1, l2, l3, l4, bonus, deduction, total, vetoes, updated_at)
SELECT e.organization_id, o.zone_id, e.year,
       COALESCE(SUM(e.points) FILTER (WHERE e.month <= 3), 0),
       COALESCE(SUM(e.points) FILTER (WHERE e.month BETWEEN 4 AND 6), 0),
       COALESCE(SUM(e.points) FILTER (WHERE e.month BETWEEN 7 AND 9), 0),
       COALESCE(SUM(e.points) FILTER (WHERE e.month >= 10), 0),
       COUNT(*) FILTER (WHERE e.month <= 3), COUNT(*) FILTER (WHERE e.month BETWEEN 4 AND 6),
       COUNT(*) FILTER (WHERE e.month BETWEEN 7 AND 9), COUNT(*) FILTER (WHERE e.month >= 10),
       0, 0, 0, 0,
       COALESCE(SUM(e.points) FILTER (WHERE i.kind = 'featured'), 0),
       COALESCE(SUM(e.points) FILTER (WHERE i.kind = 'deduction'), 0),
       SUM(e.points),
       COUNT(*) FILTER (WHERE i.veto AND e.points < 0),
       now()
FROM scoring_pointentry e JOIN scoring_item i ON i.id = e.item_id
JOIN orgs_organization o ON o.id = e.organization_id
WHERE e.points IS NOT NULL
GROUP BY 1, 2, 3
"""


def _without_indexes(cursor, table):
    """Drop `table`'s secondary indexes and constraints; return the statements that restore
    them. Building them once after the load is several times faster than maintaining them."""
    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = %s::regclass AND contype IN ('u', 'c', 'f')""",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s
           AND indexname NOT IN (SELECT conname FROM pg_constraint
                                 WHERE conrelid = %s::regclass)""",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [
        *(f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in constraints),
        *(d for _, d in indexes),
    ]


def measured_zone():
    """The zone whose office the benchmark signs in as: the middle one, so that its rows sit
    among the other zones' rather than first in every table."""
    zones = Zone.objects.order_by("pk")
    return zones[zones.count() // 2]


def loaded(orgs, zones):
    return (
        Zone.objects.count() == zones
        and Organization.objects.scored().count() == orgs
        and User.objects.filter(username__in=BENCH_USERS).count() == len(BENCH_USERS)
    )


# The accounts the benchmark signs in as: the measured zone's office and one of its
# secretaries, and the province's viewer.
BENCH_USERS = ("bench-staff", "bench-secretary", "bench-region")


# Everything the app stores, emptied before a province is generated; the schema's own tables stay.
KEPT_TABLES = ("django_migrations", "django_content_type", "auth_permission")


def _truncate_all(cursor):
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT tablename = ANY(%s)",
        [list(KEPT_TABLES)],
    )
    tables = ", ".join(f'"{name}"' for (name,) in cursor.fetchall())
    cursor.execute(f"TRUNCATE {tables} CASCADE")


def _running_year(cursor, year, today):
    """Insert the running year's entries up to last month, and their history."""
    months = list(range(1, today.month))
    if year != today.year or not months:
        return
    # Every zone's rule set is a copy of the first one's: one close day for all.
    rule_set = RuleSet.objects.filter(year=year).earliest("pk")
    deadlines = [deadline_end(rule_set, month) for month in months]
    cursor.execute(RUNNING_YEAR_SQL, {"year": year, "months": months, "deadlines": deadlines})
    cursor.execute(RUNNING_HISTORY_SQL, {"year": year})


def generate(*, orgs, zones, years, say):
    """Load a province of `orgs` scored organizations in `zones` zones with points for `years`
    and for the running year up to last month; return the number of point rows and a line on
    how fast they loaded."""
    started = time.perf_counter()
    sizes = zone_sizes(orgs, zones)
    with transaction.atomic(), connection.cursor() as cursor:
        _truncate_all(cursor)
        province = Region.objects.create(name="合成省", kind=RegionKind.PROVINCE)
        zone_ids = [
            z.pk
            for z in Zone.objects.bulk_create(
                Zone(name=f"合成第{z}区", code=f"Z{z:03d}", region=province)
                for z in range(1, zones + 1)
            )
        ]
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.copy_expert(
            "COPY orgs_organization (zone_id, path, depth, numchild, name, short_name, code, kind, "
            "sector, member_count, founded_on, is_active, is_demo_point, created_at, updated_at) "
            "FROM STDIN",
            _organizations_copy(zone_ids, sizes),
        )
        cursor.execute(
            """INSERT INTO orgs_tierassignment (organization_id, zone_id, year, tier, source, reason,
                                               set_at)
               SELECT id, zone_id, %s, CASE id %% 5 WHEN 0 THEN 'A' WHEN 4 THEN 'C' ELSE 'B' END,
                      'initial', '合成数据初始分类', now()
               FROM orgs_organization WHERE depth > 1""",
            [years[0]],
        )
    say(f"  {zones} 个区，组织 {orgs:,} 个：{time.perf_counter() - started:.1f} s")
    zone = measured_zone()
    staff = User.objects.create(
        username="bench-staff", role=Role.STAFF, zone=zone, last_name="压测"
    )
    User.objects.create(username="bench-region", role=Role.REGION, region=province)
    secretary = User.objects.create(username="bench-secretary", role=Role.SECRETARY, zone=zone)
    branch = Organization.objects.in_zone(zone).filter(depth=3).order_by("path").first()
    Organization.objects.filter(pk=branch.pk).update(secretary=secretary)
    creating = time.perf_counter()
    # Each zone's rule sets through the app: the first zone's from the default catalogue, every
    # other zone's copied from it, as an office copies a neighbour's.
    first: dict[int, RuleSet] = {}
    for z in Zone.objects.order_by("pk"):
        previous = None
        for year in [*years, years[-1] + 1]:
            previous = create_rule_set(
                zone=z, year=year, user=staff, copy_from=first.get(year) or previous
            )
            first.setdefault(year, previous)
    say(f"  各区评分细则（应用的 create_rule_set）：{time.perf_counter() - creating:.1f} s")
    loading = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL session_replication_role = replica")
        restore = [
            *_without_indexes(cursor, "scoring_pointentry"),
            *_without_indexes(cursor, "scoring_historicalpointentry"),
        ]
        for year in years:
            cursor.execute(POINTS_SQL, {"year": year})
        _running_year(cursor, years[-1] + 1, timezone.localdate())
        cursor.execute("SELECT count(*) FROM scoring_pointentry")
        rows = cursor.fetchone()[0]
        inserted = time.perf_counter() - loading
        for statement in restore:
            cursor.execute(statement)
        cursor.execute(SCORECARDS_SQL)
    total = time.perf_counter() - loading
    levelling = time.perf_counter()
    with transaction.atomic():
        for z in Zone.objects.order_by("pk"):
            refresh_levels(zone=z, years={*years, years[-1] + 1})
    say(f"  预警等级（应用的 refresh_levels）：{time.perf_counter() - levelling:.1f} s")
    grading = time.perf_counter()
    # Last year finalized by the measured zone's office, as the export and the pages that show
    # last year's grades expect; the other zones' stay open.
    finalize_year(zone=zone, year=years[-1], user=staff)
    say(
        f"  {zone.name}定级 {years[-1]} 年（应用的 finalize_year）：{time.perf_counter() - grading:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(
        f"  积分 {rows:,} 行：插入 {inserted:.1f} s（{rows / inserted:,.0f} 行/秒），"
        f"连同建索引和季度合计 {total:.1f} s（{rows / total:,.0f} 行/秒）"
    )
    load = (
        f"{rows:,} point rows inserted in {inserted:.1f} s ({rows / inserted:,.0f} rows/s), "
        f"{total:.1f} s with indexes and scorecards ({rows / total:,.0f} rows/s); the whole "
        f"province with organizations, levels and VACUUM ANALYZE in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return rows, load
