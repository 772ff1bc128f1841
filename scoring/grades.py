"""年度综评定级, read side: one `GradeRow` per organization and year, the same type whether the
year is live (computed from the scorecards as it stands) or finalized (read back from the
stored AnnualResult rows). Finalizing stores these rows; the grading page and the grade sheet
show them."""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.db.models import F, FloatField, QuerySet, Value, Window
from django.db.models.functions import Cast, Coalesce, Rank

from orgs.models import Organization, OrganizationQuerySet, Sector, Zone

from . import rules
from .models import AnnualResult, Grade, RuleSet
from .standings import scorecard_of

# 绩效评定 applies to agencies and villages; 奖补兑现 to non-public enterprises and social
# organizations ("Use of results" in docs/domain.md).
PERFORMANCE_SECTORS = {Sector.AGENCY, Sector.VILLAGE}
ZERO = Decimal(0)
Points = Decimal | float


@dataclass(slots=True)
class GradeRow:
    """An organization's year as the grade sheet shows it. Points are Decimals when computed
    and floats when read back for a sheet (halves are exact either way)."""

    organization_id: int
    code: str
    name: str
    committee: str
    sector: str
    tier: str  # the year's own tier, "" when it had none
    q1: Points
    q2: Points
    q3: Points
    q4: Points
    bonus: Points
    deduction: Points
    total: Points
    rank: int
    sector_rank: int
    warnings: int
    vetoed: bool
    grade: int
    proposed_tier: str
    coefficient: Points | None
    subsidy: Points | None
    note: str
    override_tier: str = ""
    override_reason: str = ""

    @property
    def next_tier(self) -> str:
        return self.override_tier or self.proposed_tier

    @property
    def remark(self) -> str:
        """备注: the grading's own note, and the override with its reason."""
        if not self.override_tier:
            return self.note
        return f"{self.note}；调整为{self.override_tier}类：{self.override_reason}".lstrip("；")

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label

    @property
    def sector_label(self) -> str:
        return Sector(self.sector).label

    @property
    def quarters(self) -> list[Points]:
        return [self.q1, self.q2, self.q3, self.q4]

    def as_result(self, zone: Zone, year: int) -> AnnualResult:
        return AnnualResult(zone=zone, year=year, **{f.name: getattr(self, f.name) for f in FIELDS})


FIELDS = fields(GradeRow)
STORED_POINTS = ("q1", "q2", "q3", "q4", "bonus", "deduction", "total", "coefficient", "subsidy")


def ended_quarters(year: int, today: date) -> int:
    """How many of `year`'s quarters have ended by `today`: those that count warnings."""
    if year < today.year:
        return 4
    return max(rules.quarter_of(today.month) - 1, 0) if year == today.year else 0


def annual_totals(organizations: OrganizationQuerySet, year: int) -> QuerySet:
    """Every organization of the queryset with its code, name, path, sector, tier and its year
    from its scorecard (q1–q4, bonus, deduction, vetoes, total), ranked overall and within its
    sector (ties share a rank), best first. One query, no aggregation."""

    def figure(name: str) -> Coalesce:
        return Coalesce(F(f"card__{name}"), Value(ZERO))

    return (
        organizations.annotate(card=scorecard_of(year))
        .with_tier(year)
        .values("pk", "code", "name", "path", "sector", "tier")
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


def live_rows(rule_set: RuleSet, *, today: date) -> Iterator[GradeRow]:
    """The year of every scored organization of the rule set's zone as it stands, graded and
    ranked within the zone; only the quarters that have ended by `today` count warnings."""
    year = rule_set.year
    thresholds = rule_set.thresholds
    quarters = ended_quarters(year, today)
    zone_organizations = Organization.objects.in_zone(rule_set.zone_id)
    committees = zone_organizations.committee_names()
    prefix = Organization.steplen * 2
    rows = annual_totals(zone_organizations.scored(), year).iterator(chunk_size=5000)
    for row in rows:
        vetoed = row["vetoes"] > 0
        grade = rules.annual_grade(row["total"], thresholds, vetoed=vetoed)
        by_performance = row["sector"] in PERFORMANCE_SECTORS
        yield GradeRow(
            organization_id=row["pk"],
            code=row["code"],
            name=row["name"],
            committee=committees.get(row["path"][:prefix], ""),
            sector=row["sector"],
            tier=row["tier"] or "",
            q1=row["q1"],
            q2=row["q2"],
            q3=row["q3"],
            q4=row["q4"],
            bonus=row["bonus"],
            deduction=row["deduction"],
            total=row["total"],
            rank=row["rank"],
            sector_rank=row["sector_rank"],
            warnings=rules.warnings_in(
                [row["q1"], row["q2"], row["q3"], row["q4"]][:quarters], thresholds
            ),
            vetoed=vetoed,
            grade=grade,
            proposed_tier=rules.proposed_tier(grade),
            coefficient=rule_set.coefficient(grade) if by_performance else None,
            subsidy=None if by_performance else rule_set.subsidy(grade),
            note="一票否决，定为三档" if vetoed else "",
        )


def stored_results(zone: Zone | int, year: int) -> QuerySet:
    """The stored rows of the zone's finalized year in rank order."""
    return AnnualResult.objects.filter(zone=zone, year=year).order_by("rank", "organization_id")


def stored_rows(results: QuerySet, *, as_floats: bool = False) -> Iterator[GradeRow]:
    """GradeRows of stored AnnualResult rows. `as_floats` reads the points as binary floats,
    which the database driver reads several times faster than Decimals: for whole sheets."""
    columns = [
        Cast(f.name, FloatField()) if as_floats and f.name in STORED_POINTS else f.name
        for f in FIELDS
    ]
    for values in results.values_list(*columns).iterator(chunk_size=5000):
        yield GradeRow(*values)
