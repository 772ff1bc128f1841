"""Where organizations stand, read from their Scorecards (one row per organization and year,
one query for all organizations), with verdicts from rules.py under each year's thresholds."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, FilteredRelation, Q, Value, Window
from django.db.models.functions import Coalesce, Rank

from orgs.models import Sector, TierAssignment

from . import rules
from .models import Rectification, RuleSet, Scorecard, Status, Warning

# 绩效评定 applies to agencies and villages; 奖补兑现 to non-public enterprises and social
# organizations (DOMAIN.md, "Use of results").
PERFORMANCE_SECTORS = {Sector.AGENCY, Sector.VILLAGE}
ZERO = Decimal(0)


@dataclass
class Standing:
    organization_id: int
    total: Decimal
    entries: int
    previous_total: Decimal | None  # None: the quarter falls in a year without a rule set
    before_previous_total: Decimal | None
    level: int

    @property
    def warned(self):
        return self.level != rules.NOT_WARNED


def thresholds_by_year(years):
    return {rs.year: rs.thresholds for rs in RuleSet.objects.filter(year__in=set(years))}


def level_at(period, total_of, thresholds):
    """The warning level of `period` (year, quarter) given `total_of(period)` for it and the two
    quarters before it; each year uses its own thresholds, and a year without a rule set (before
    the system was used) is never warned."""
    before, before_that = rules.previous_quarters(*period, 2)

    def warned(p):
        return rules.is_warned(total_of(p), thresholds.get(p[0]))

    return rules.warning_level(
        total_of(period),
        thresholds.get(period[0]),
        previous_warned=warned(before),
        before_previous_warned=warned(before_that),
    )


def _card(year):
    return FilteredRelation("scorecards", condition=Q(scorecards__year=year))


def with_quarter(organizations, year, quarter):
    """Annotate `q_total`, `q_entries` and `q_level` of (year, quarter) and `p1_total`,
    `p2_total` of the two quarters before it. An organization without a scorecard recorded
    nothing: its total is 0, and the rule set's red line (always above 0) makes that red."""
    thresholds = thresholds_by_year([year, year - 1])
    empty_level = rules.warning_level(
        ZERO, thresholds.get(year), previous_warned=False, before_previous_warned=False
    )
    annotated = organizations.annotate(card=_card(year), last_card=_card(year - 1))

    def total(period):
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


def quarter_standings(organizations, year, quarter):
    """{organization_id: Standing} for every organization in the queryset, from one query."""
    before, before_that = rules.previous_quarters(year, quarter, 2)
    ruled = set(thresholds_by_year([before[0], before_that[0]]))
    rows = (
        with_quarter(organizations, year, quarter)
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


def level_counts(standings):
    """{level: number of organizations} of the warned standings."""
    return dict(Counter(s.level for s in standings if s.warned))


def recent_quarters(year, quarter, count):
    """The `count` quarters ending with (year, quarter), oldest first."""
    return [*reversed(rules.previous_quarters(year, quarter, count - 1)), (year, quarter)]


def quarter_history(org_ids, periods):
    """{(organization_id, year, quarter): total} for the given quarters that have entries."""
    years = {y for y, _ in periods}
    wanted = set(periods)
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
    scorecard_changed: object  # a datetime, or its text on SQLite; None without a scorecard
    rules_changed: object  # None when the year has no rule set
    open_tasks: int


def status_stamps(org_id, year):
    """What the secretary's page needs to know before it knows whether its cached fragment is
    still good, in one statement: plain SQL, as this runs on every load of that page."""
    tiers = TierAssignment._meta.db_table
    cards = Scorecard._meta.db_table
    rule_sets = RuleSet._meta.db_table
    tasks = Rectification._meta.db_table
    warnings = Warning._meta.db_table
    sql = f"""
        SELECT
          (SELECT tier FROM {tiers} WHERE organization_id = %s AND year <= %s
             ORDER BY year DESC, set_at DESC, id DESC LIMIT 1),
          (SELECT total FROM {cards} WHERE organization_id = %s AND year = %s),
          (SELECT updated_at FROM {cards} WHERE organization_id = %s AND year = %s),
          (SELECT updated_at FROM {rule_sets} WHERE year = %s),
          (SELECT COUNT(*) FROM {tasks} t JOIN {warnings} w ON w.id = t.warning_id
             WHERE w.organization_id = %s AND t.status <> %s)
    """
    params = [org_id, year, org_id, year, org_id, year, year, org_id, Status.ACCEPTED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        tier, total, card_changed, rules_changed, open_tasks = cursor.fetchone()
    return StatusStamps(tier, Decimal(str(total or 0)), card_changed, rules_changed, open_tasks)


def annual_totals(organizations, year, *, names=False):
    """Every organization of the queryset with its year from its scorecard: q1–q4, bonus,
    deduction, vetoes and total, ranked overall and within its sector (ties share a rank),
    best first; with `names`, also its code, name and path. One query, no aggregation."""

    def figure(name):
        return Coalesce(F(f"card__{name}"), Value(ZERO))

    return (
        organizations.annotate(card=_card(year))
        .values("pk", "sector", *(("code", "name", "path") if names else ()))
        .annotate(
            q1=figure("q1"),
            q2=figure("q2"),
            q3=figure("q3"),
            q4=figure("q4"),
            bonus=figure("bonus"),
            deduction=figure("deduction"),
            vetoes=Coalesce(F("card__vetoes"), 0),
            total=figure("total"),
        )
        .annotate(
            rank=Window(Rank(), order_by=F("total").desc()),
            sector_rank=Window(Rank(), partition_by=F("sector"), order_by=F("total").desc()),
        )
        .order_by("rank", "pk")
    )


@dataclass
class Graded:
    """One organization's year, graded by the rules."""

    row: dict
    warnings: int
    vetoed: bool
    grade: int
    proposed_tier: str
    coefficient: Decimal | None
    subsidy: Decimal | None
    note: str


def ended_quarters(year, today):
    """How many of `year`'s quarters have ended by `today`: those that count warnings."""
    if year < today.year:
        return 4
    return max(rules.quarter_of(today.month) - 1, 0) if year == today.year else 0


def grade_rows(rows, rule_set, *, quarters=4):
    """Yield a Graded for each row of `annual_totals`, counting a warning for every one of the
    first `quarters` quarters below the line."""
    thresholds = rule_set.thresholds
    for row in rows:
        quarter_totals = [row["q1"], row["q2"], row["q3"], row["q4"]][:quarters]
        vetoed = row["vetoes"] > 0
        grade = rules.annual_grade(row["total"], thresholds, vetoed=vetoed)
        by_performance = row["sector"] in PERFORMANCE_SECTORS
        yield Graded(
            row=row,
            warnings=sum(rules.is_warned(t, thresholds) for t in quarter_totals),
            vetoed=vetoed,
            grade=grade,
            proposed_tier=rules.proposed_tier(grade),
            coefficient=rule_set.coefficient(grade) if by_performance else None,
            subsidy=None if by_performance else rule_set.subsidy(grade),
            note="一票否决，定为三档" if vetoed else "",
        )
