"""The dashboard's figures other than completeness, each one or two grouped queries over the
organizations in view (a zone, or a committee's subtree), whatever their number."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Value
from django.db.models.functions import Coalesce

from orgs.models import OrganizationQuerySet, Sector, Tier, Zone
from scoring import rules
from scoring.models import (
    AnnualResult,
    Grade,
    Level,
    Notice,
    Period,
    Rectification,
    RuleSet,
    Status,
    Warning,
    YearState,
)
from scoring.standings import ZERO, recent_quarters, scorecard_of

# A rectification is "due soon" this many days before its deadline (the reminders' window).
DUE_SOON_DAYS = 3


def zone_rule_sets(zone: Zone, today: datetime.date) -> dict[int, RuleSet]:
    """{year: rule set} of the zone over the years the dashboard reads (the eight quarters up
    to this one reach two years back), from one query."""
    years = range(today.year - 2, today.year + 1)
    return {rs.year: rs for rs in RuleSet.objects.filter(zone=zone, year__in=years)}


def working_month(
    zone: Zone, today: datetime.date, rule_sets: dict[int, RuleSet]
) -> tuple[int, int] | None:
    """The month the office is entering now: last month while its close deadline is not over
    and it is still open, otherwise this month. None when the zone has no rule set for it.
    `rule_sets` are the zone's (`zone_rule_sets`)."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    last = rule_sets.get(year)
    if last and today <= last.close_deadline(month):
        closed = Period.objects.filter(zone=zone, year=year, month=month, closed=True).exists()
        if not closed:
            return year, month
    if today.year in rule_sets:
        return today.year, today.month
    return (year, month) if last else None


@dataclass
class QuarterProgress:
    """The running quarter so far against the pro-rated line (预估, never a warning)."""

    year: int
    quarter: int
    months_ended: int
    line: Decimal
    threshold: Decimal
    organizations: int
    on_track: int
    behind: int
    average: Decimal | None


def quarter_progress(
    organizations: OrganizationQuerySet, rule_set: RuleSet, today: datetime.date
) -> QuarterProgress:
    year, quarter = today.year, rules.quarter_of(today.month)
    months = rules.months_ended(year, quarter, today)
    line = rules.pro_rated_line(rule_set.warning_threshold, months)
    total = Coalesce(F(f"card__q{quarter}"), Value(ZERO))
    figures = (
        organizations.annotate(card=scorecard_of(year))
        .annotate(so_far=total)
        .aggregate(
            n=Count("pk"),
            on_track=Count("pk", filter=Q(so_far__gte=line)),
            average=Avg("so_far"),
        )
    )
    return QuarterProgress(
        year=year,
        quarter=quarter,
        months_ended=months,
        line=line,
        threshold=rule_set.warning_threshold,
        organizations=figures["n"],
        on_track=figures["on_track"],
        behind=figures["n"] - figures["on_track"],
        average=figures["average"],
    )


def last_notice(zone: Zone) -> Notice | None:
    return Notice.objects.filter(zone=zone).order_by("-year", "-quarter").first()


def warning_counts(notice: Notice, organizations: OrganizationQuerySet) -> list[tuple[Level, int]]:
    """The published warnings of `notice` among the organizations, by level, red first: what
    the warnings page counts for the same organizations."""
    counts = dict(
        Warning.objects.filter(notice=notice, organization__in=organizations.values("pk"))
        .order_by()
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    return [(level, counts.get(level.value, 0)) for level in reversed(Level)]


@dataclass
class TaskCounts:
    submitted: int
    due_soon: int
    overdue: int
    pending: int


def task_counts(organizations: OrganizationQuerySet, today: datetime.date) -> TaskCounts:
    tasks = Rectification.objects.filter(warning__organization__in=organizations.values("pk"))
    waiting = Q(status__in=[Status.OPEN, Status.RETURNED])
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    figures = tasks.aggregate(
        submitted=Count("pk", filter=Q(status=Status.SUBMITTED)),
        due_soon=Count("pk", filter=waiting & Q(deadline__gte=today, deadline__lte=soon)),
        overdue=Count("pk", filter=waiting & Q(deadline__lt=today)),
        pending=Count("pk", filter=~Q(status=Status.ACCEPTED)),
    )
    return TaskCounts(**figures)


def tier_by_sector(organizations: OrganizationQuerySet, year: int) -> dict:
    """Organizations by tier (rows, "" for none yet) × sector (columns), with totals."""
    counts = {
        (row["tier"] or "", row["sector"]): row["n"]
        for row in organizations.with_tier(year)
        .order_by()
        .values("tier", "sector")
        .annotate(n=Count("pk"))
    }
    tiers = [(t.value, t.label) for t in Tier]
    if any(tier == "" for tier, _ in counts):
        tiers.append(("", "未分类"))
    sectors = list(Sector)
    cells = [(label, [counts.get((tier, s.value), 0) for s in sectors]) for tier, label in tiers]
    rows = [(label, row, sum(row)) for label, row in cells]
    totals = [sum(cells[i] for _, cells, _ in rows) for i in range(len(sectors))]
    return {"sectors": sectors, "rows": rows, "totals": totals, "all": sum(totals)}


@dataclass
class Grades:
    year: int
    finalized: bool
    table: dict  # {"rows": [(sector label, [count per grade], total)], "totals", "all"}


def grades_by_sector(
    zone: Zone, organizations: OrganizationQuerySet, rule_set: RuleSet | None
) -> Grades | None:
    """The grades of the rule set's year of the organizations by sector: as stored once the
    year is finalized, else as the grading page computes them now (the rule applied to each
    distinct total, the organizations counted in the database). None without a rule set."""
    if rule_set is None:
        return None
    year = rule_set.year
    finalized = YearState.objects.filter(zone=zone, year=year, finalized=True).exists()
    counts: dict[tuple[str, int], int] = {}
    if finalized:
        for sector, grade, n in (
            AnnualResult.objects.filter(
                zone=zone, year=year, organization__in=organizations.values("pk")
            )
            .order_by()
            .values_list("sector", "grade")
            .annotate(n=Count("pk"))
        ):
            counts[(sector, grade)] = n
    else:
        thresholds = rule_set.thresholds
        groups = (
            organizations.annotate(card=scorecard_of(year))
            .annotate(
                year_total=Coalesce(F("card__total"), Value(ZERO)),
                vetoes=Coalesce(F("card__vetoes"), 0),
            )
            .order_by()
            .values_list("sector", "year_total", "vetoes")
            .annotate(n=Count("pk"))
        )
        for sector, total, vetoes, n in groups:
            grade = rules.annual_grade(total, thresholds, vetoed=vetoes > 0)
            counts[(sector, grade)] = counts.get((sector, grade), 0) + n
    rows = []
    for sector in Sector:
        cells = [counts.get((sector.value, g.value), 0) for g in Grade]
        if sum(cells):
            rows.append((sector.label, cells, sum(cells)))
    totals = [sum(row[1][i] for row in rows) for i in range(len(Grade))]
    return Grades(
        year=year,
        finalized=finalized,
        table={"rows": rows, "totals": totals, "all": sum(totals)},
    )


@dataclass
class QuarterAverage:
    year: int
    quarter: int
    average: Decimal | None  # None: a year without a rule set (before the system was used)
    running: bool

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" + ("（预估）" if self.running else "")

    @property
    def short_label(self) -> str:
        """For a chart's axis."""
        return f"{self.year % 100:02d}Q{self.quarter}" + ("预估" if self.running else "")


def quarter_averages(
    organizations: OrganizationQuerySet,
    today: datetime.date,
    rule_sets: dict[int, RuleSet],
    count: int = 8,
) -> list[QuarterAverage]:
    """The average quarter total of the organizations over the last `count` quarters, the
    running one last (预估), in the years the zone has `rule_sets` for. One query: a scorecard
    relation per year."""
    current = (today.year, rules.quarter_of(today.month))
    periods = recent_quarters(*current, count)
    years = sorted({y for y, _ in periods})
    ruled = set(rule_sets)
    cards = {f"card{y}": scorecard_of(y) for y in years}
    averages = organizations.annotate(**cards).aggregate(
        **{
            f"y{y}q{q}": Avg(Coalesce(F(f"card{y}__q{q}"), Value(ZERO)))
            for y, q in periods
            if y in ruled
        }
    )
    return [QuarterAverage(y, q, averages.get(f"y{y}q{q}"), (y, q) == current) for y, q in periods]


def year_extremes(organizations: OrganizationQuerySet, year: int, count: int = 10) -> dict:
    """The `count` lowest and highest year totals so far, with the organizations' names."""
    ranked = (
        organizations.annotate(card=scorecard_of(year))
        .annotate(year_total=Coalesce(F("card__total"), Value(ZERO)))
        .values("pk", "name", "code", "year_total")
    )
    return {
        "lowest": list(ranked.order_by("year_total", "path")[:count]),
        "highest": list(ranked.order_by("-year_total", "path")[:count]),
    }
