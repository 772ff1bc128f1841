"""Where each organization stands in a quarter: totals from QuarterTotal (one query for all
organizations), verdicts from rules.py with each year's own thresholds."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from . import rules
from .models import QuarterTotal, RuleSet


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
