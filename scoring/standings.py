"""Where each organization stands in a quarter: totals from QuarterTotal (one query for all
organizations), verdicts from rules.py with each year's own thresholds."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, FilteredRelation, Q, Sum, Window
from django.db.models.functions import Coalesce, Rank

from orgs.models import Sector

from . import rules
from .models import QuarterTotal, RuleSet

# 绩效评定 applies to agencies and villages; 奖补兑现 to non-public enterprises and social
# organizations (DOMAIN.md, "Use of results").
PERFORMANCE_SECTORS = {Sector.AGENCY, Sector.VILLAGE}


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


def quarter_standings(organizations, year, quarter):
    """{organization_id: Standing} for every organization in the queryset."""
    periods = [(year, quarter), *rules.previous_quarters(year, quarter, 2)]
    thresholds = thresholds_by_year(y for y, _ in periods)
    within = [Q(year=y, quarter=q) for y, q in periods]
    rows = (
        QuarterTotal.objects.filter(
            within[0] | within[1] | within[2], organization__in=organizations.values("pk")
        )
        .order_by()
        .values("organization_id")
        .annotate(
            t0=Sum("total", filter=within[0], default=0),
            e0=Sum("entries", filter=within[0], default=0),
            t1=Sum("total", filter=within[1], default=0),
            t2=Sum("total", filter=within[2], default=0),
        )
        .values_list("organization_id", "t0", "e0", "t1", "t2")
    )
    found = {row[0]: row[1:] for row in rows}
    zero = (Decimal(0), 0, Decimal(0), Decimal(0))
    result = {}
    for org_id in organizations.values_list("pk", flat=True):
        total, entries, previous, second = found.get(org_id, zero)
        by_period = dict(zip(periods, (total, previous, second), strict=True))
        result[org_id] = Standing(
            organization_id=org_id,
            total=total,
            entries=entries,
            previous_total=previous if periods[1][0] in thresholds else None,
            before_previous_total=second if periods[2][0] in thresholds else None,
            level=level_at(periods[0], by_period.__getitem__, thresholds),
        )
    return result


def level_counts(standings):
    """{level: number of organizations} of the warned standings."""
    return dict(Counter(s.level for s in standings if s.warned))


def recent_quarters(year, quarter, count):
    """The `count` quarters ending with (year, quarter), oldest first."""
    return [*reversed(rules.previous_quarters(year, quarter, count - 1)), (year, quarter)]


def quarter_history(org_ids, periods):
    """{(organization_id, year, quarter): total} for the given quarters."""
    condition = Q(pk__in=[])
    for y, q in periods:
        condition |= Q(year=y, quarter=q)
    rows = QuarterTotal.objects.filter(condition, organization_id__in=org_ids).values_list(
        "organization_id", "year", "quarter", "total"
    )
    return {(org, y, q): total for org, y, q, total in rows}


def annual_totals(organizations, year):
    """Every organization of the queryset with its year from QuarterTotal: q1–q4, bonus,
    deduction, vetoes and total, ranked overall and within its sector (ties share a rank),
    best first. One query."""
    totals = FilteredRelation("quarter_totals", condition=Q(quarter_totals__year=year))

    def summed(field, **where):
        condition = Q(**{f"year_totals__{k}": v for k, v in where.items()}) if where else None
        return Coalesce(Sum(f"year_totals__{field}", filter=condition), Decimal(0))

    return (
        organizations.annotate(year_totals=totals)
        .values("pk", "code", "name", "sector", "path")
        .annotate(
            q1=summed("total", quarter=1),
            q2=summed("total", quarter=2),
            q3=summed("total", quarter=3),
            q4=summed("total", quarter=4),
            bonus=summed("bonus"),
            deduction=summed("deduction"),
            vetoes=Coalesce(Sum("year_totals__vetoes"), 0),
            total=summed("total"),
        )
        .annotate(
            rank=Window(Rank(), order_by=F("total").desc()),
            sector_rank=Window(Rank(), partition_by=F("sector"), order_by=F("total").desc()),
        )
        .order_by("rank", "path")
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
