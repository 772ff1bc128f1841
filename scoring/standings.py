"""Where organizations stand in a quarter, read from their Scorecards (one row per organization
and year, one query for all organizations), with verdicts from rules.py under each year's
thresholds; and the rows of a published notice."""

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import F, FilteredRelation, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from orgs.models import Organization, OrganizationQuerySet, TierAssignment, Zone

from . import rules
from .models import Level, Notice, Rectification, RuleSet, Scorecard, Warning

ZERO = Decimal(0)
Period = tuple[int, int]  # (year, quarter)


@dataclass
class Standing:
    organization_id: int
    total: Decimal
    entries: int
    previous_total: Decimal | None  # None: the quarter falls in a year without a rule set
    before_previous_total: Decimal | None
    level: int

    @property
    def warned(self) -> bool:
        return self.level != rules.NOT_WARNED


def thresholds_by_year(zone: Zone | int, years: Iterable[int]) -> dict[int, rules.Thresholds]:
    """{year: thresholds} of the zone's rule sets among `years`."""
    rule_sets = RuleSet.objects.filter(zone=zone, year__in=set(years))
    return {rs.year: rs.thresholds for rs in rule_sets}


def level_at(
    period: Period,
    total_of: Callable[[Period], Decimal],
    thresholds: dict[int, rules.Thresholds],
) -> int:
    """The warning level of `period` (year, quarter) given `total_of(period)` for it and the two
    quarters before it; each year uses its own thresholds, and a year without a rule set (before
    the system was used) is never warned."""
    before, before_that = rules.previous_quarters(*period, 2)

    def warned(p: Period) -> bool:
        return rules.is_warned(total_of(p), thresholds.get(p[0]))

    return rules.warning_level(
        total_of(period),
        thresholds.get(period[0]),
        previous_warned=warned(before),
        before_previous_warned=warned(before_that),
    )


def scorecard_of(year: int) -> FilteredRelation:
    """An organization's Scorecard of `year`, to annotate as a relation (LEFT JOIN)."""
    return FilteredRelation("scorecards", condition=Q(scorecards__year=year))


def with_quarter(
    zone: Zone, organizations: OrganizationQuerySet, year: int, quarter: int
) -> QuerySet:
    """Annotate `q_total`, `q_entries` and `q_level` of (year, quarter) and `p1_total`,
    `p2_total` of the two quarters before it, for organizations of `zone`. One without a
    scorecard recorded nothing: its total is 0, and the rule set's red line (always above 0)
    makes that red."""
    thresholds = thresholds_by_year(zone, [year, year - 1])
    empty_level = rules.warning_level(
        ZERO, thresholds.get(year), previous_warned=False, before_previous_warned=False
    )
    annotated = organizations.annotate(card=scorecard_of(year), last_card=scorecard_of(year - 1))

    def total(period: Period) -> Coalesce:
        relation = "card" if period[0] == year else "last_card"
        return Coalesce(F(f"{relation}__q{period[1]}"), Value(ZERO))

    before, before_that = rules.previous_quarters(year, quarter, 2)
    return annotated.annotate(
        q_total=total((year, quarter)),
        q_entries=Coalesce(F(f"card__e{quarter}"), 0),
        q_level=Coalesce(F(f"card__l{quarter}"), empty_level),
        p1_total=total(before),
        p2_total=total(before_that),
    )


def quarter_standings(
    zone: Zone, organizations: OrganizationQuerySet, year: int, quarter: int
) -> dict[int, Standing]:
    """{organization_id: Standing} for every organization in the queryset (of `zone`), from
    one query."""
    before, before_that = rules.previous_quarters(year, quarter, 2)
    ruled = set(thresholds_by_year(zone, [before[0], before_that[0]]))
    rows = (
        with_quarter(zone, organizations, year, quarter)
        .order_by()
        .values_list("pk", "q_total", "q_entries", "p1_total", "p2_total", "q_level")
    )
    return {
        pk: Standing(
            organization_id=pk,
            total=total,
            entries=entries,
            previous_total=previous if before[0] in ruled else None,
            before_previous_total=second if before_that[0] in ruled else None,
            level=level,
        )
        for pk, total, entries, previous, second, level in rows
    }


def level_counts(standings: Iterable[Standing]) -> dict[int, int]:
    """{level: number of organizations} of the warned standings."""
    return dict(Counter(s.level for s in standings if s.warned))


def recent_quarters(year: int, quarter: int, count: int) -> list[Period]:
    """The `count` quarters ending with (year, quarter), oldest first."""
    return [*reversed(rules.previous_quarters(year, quarter, count - 1)), (year, quarter)]


def quarter_history(
    org_ids: Iterable[int], periods: Iterable[Period]
) -> dict[tuple[int, int, int], Decimal]:
    """{(organization_id, year, quarter): total} for the given quarters that have entries."""
    wanted = set(periods)
    years = {y for y, _ in wanted}
    result = {}
    for org, year, *totals in Scorecard.objects.filter(
        organization_id__in=org_ids, year__in=years
    ).values_list("organization_id", "year", "q1", "q2", "q3", "q4"):
        for number, total in enumerate(totals, start=1):
            if (year, number) in wanted:
                result[(org, year, number)] = total
    return result


@dataclass
class StatusStamps:
    tier: str | None
    year_total: Decimal
    scorecard_changed: datetime | str | None  # text on SQLite; None without a scorecard
    rules_changed: datetime | str | None  # None when the year has no rule set
    tasks: int  # rectification tasks the organization ever had
    latest_notice: int | None  # the zone's latest published notice: a quarter's level is final


# Stand-ins compiled into the tier statement once, replaced by the real values on each use.
_ORG, _YEAR = 2**62 - 17, 32_017  # within the columns' ranges, never real values


@functools.cache
def _tier_statement(vendor: str) -> tuple[str, tuple[str, ...]]:
    """The ORM's own statement for an organization's tier in a year (the one rule,
    TierAssignment.objects.in_force), compiled once per process: building it costs more than
    running it on the most visited page. Returns the SQL and which value each parameter is."""
    query = TierAssignment.objects.in_force(_YEAR).filter(organization_id=_ORG).values("tier")[:1]
    sql, params = query.query.sql_with_params()
    names = tuple("org" if p == _ORG else "year" for p in params)
    assert set(params) <= {_ORG, _YEAR}, params
    return sql, names


def status_stamps(org_id: int, zone_id: int, year: int) -> StatusStamps:
    """What the secretary's page needs to know before it knows whether its cached fragment is
    still good, in one statement: plain SQL, as this runs on every load of that page."""
    tier_sql, tier_params = _tier_statement(connection.vendor)
    cards = Scorecard._meta.db_table
    rule_sets = RuleSet._meta.db_table
    tasks = Rectification._meta.db_table
    warnings = Warning._meta.db_table
    notices = Notice._meta.db_table
    sql = f"""
        SELECT
          ({tier_sql}),
          (SELECT total FROM {cards} WHERE organization_id = %s AND year = %s),
          (SELECT updated_at FROM {cards} WHERE organization_id = %s AND year = %s),
          (SELECT updated_at FROM {rule_sets} WHERE zone_id = %s AND year = %s),
          (SELECT COUNT(*) FROM {tasks} t JOIN {warnings} w ON w.id = t.warning_id
             WHERE w.organization_id = %s),
          (SELECT MAX(id) FROM {notices} WHERE zone_id = %s)
    """
    values = {"org": org_id, "year": year}
    params: list[int | str] = [values[name] for name in tier_params]
    params += [org_id, year, org_id, year, zone_id, year, org_id, zone_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        tier, total, card_changed, rules_changed, tasks, notice = cursor.fetchone()
    return StatusStamps(tier, Decimal(str(total or 0)), card_changed, rules_changed, tasks, notice)


@dataclass
class NoticeRow:
    """One warned organization of a published notice, as the notice page and its sheet show
    it; the remark says why it was warned at its level."""

    level: Level
    code: str
    name: str
    committee: str
    sector: str
    tier: str
    total: Decimal
    previous_total: Decimal | None
    before_previous_total: Decimal | None
    note: str
    deadline: date


def notice_rows(notice: Notice, warnings: QuerySet) -> list[NoticeRow]:
    """The rows of `warnings` (of `notice`), red first."""
    year = notice.year
    thresholds = RuleSet.objects.get(zone=notice.zone_id, year=year).thresholds
    organizations = {
        o.pk: o
        for o in Organization.objects.filter(pk__in=warnings.values("organization_id"))
        .with_tier(year)
        .with_committee()
    }
    rows = []
    for w in warnings.select_related("rectification").order_by(
        "-level", "total", "organization__path"
    ):
        org = organizations[w.organization_id]
        reasons = [rules.warning_reason(w.level, w.total, thresholds)]
        rows.append(
            NoticeRow(
                level=Level(w.level),
                code=org.code,
                name=org.name,
                committee=org.committee_name or "",
                sector=org.get_sector_display(),
                tier=f"{org.tier}类" if org.tier else "",
                total=w.total,
                previous_total=w.previous_total,
                before_previous_total=w.before_previous_total,
                note="；".join(reasons + ([] if w.had_entries else ["本季度无记录"])),
                deadline=w.rectification.deadline,
            )
        )
    return rows
