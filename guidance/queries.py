"""What the station's pages and sheets read, aggregated in SQL: the station's figures as the
source reports them, visit counts by instructor, group, month and unit, and the instructors'
yearly points and grades."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from . import rules
from .models import (
    CLOSED_STATES,
    Founding,
    Group,
    Instructor,
    InstructorRuleSet,
    Problem,
    ProblemState,
    RecordLine,
    RecordState,
    Source,
    Station,
    Visit,
)


@dataclass(frozen=True)
class Figures:
    """The station's figures for a period, in the source's words."""

    enterprises_visited: int  # 走访企业
    visits: int
    founded_single: int  # 单独组建党组织
    founded_joint: int
    mass_founded: int  # 群团组织
    new_economy_visited: int  # 走访新业态新就业群体企业
    new_economy_founded: int
    problems_collected: int  # 收集企业问题和需求
    problems_solved: int  # 帮办解决
    problems_open: int
    briefings: int  # 编写工作简报
    experiences: int  # 总结典型经验

    @property
    def founded(self):
        return self.founded_single + self.founded_joint


def _places(visits):
    """Distinct units visited: an organization, a covered unit or an uncovered enterprise."""
    return (
        visits.values("organization", "covered_unit", "enterprise_name", "credit_code")
        .distinct()
        .count()
    )


def station_figures(station: Station, start: datetime.date, end: datetime.date) -> Figures:
    visits = Visit.objects.filter(station=station).between(start, end)
    counted = visits.aggregate(
        n=Count("pk"),
        single=Count("pk", filter=Q(founded=Founding.SINGLE)),
        joint=Count("pk", filter=Q(founded=Founding.JOINT)),
        mass=Count("pk", filter=Q(mass_founded=True)),
        new_founded=Count("pk", filter=Q(new_economy=True) & ~Q(founded="")),
    )
    problems = Problem.objects.filter(visit__station=station)
    raised = problems.filter(raised_on__range=(start, end)).aggregate(
        n=Count("pk"), still_open=Count("pk", filter=~Q(state__in=CLOSED_STATES))
    )
    solved = problems.filter(state=ProblemState.SOLVED, closed_on__range=(start, end)).count()
    lines = (
        RecordLine.objects.filter(
            record__instructor__station=station, record__week__range=(start, end)
        )
        .values("item__source")
        .annotate(n=Sum("count"))
    )
    typed = {row["item__source"]: row["n"] for row in lines}
    return Figures(
        enterprises_visited=_places(visits),
        visits=counted["n"],
        founded_single=counted["single"],
        founded_joint=counted["joint"],
        mass_founded=counted["mass"],
        new_economy_visited=_places(visits.filter(new_economy=True)),
        new_economy_founded=counted["new_founded"],
        problems_collected=raised["n"],
        problems_solved=solved,
        problems_open=raised["still_open"],
        briefings=typed.get(Source.BRIEFING, 0),
        experiences=typed.get(Source.EXPERIENCE, 0),
    )


def visits_by_instructor(station, start, end):
    window = Q(visits__visited_on__range=(start, end))
    return (
        Instructor.objects.filter(station=station)
        .select_related("group")
        .annotate(
            n=Count("visits", filter=window, distinct=True),
            problems_open=Count(
                "problems", filter=~Q(problems__state__in=CLOSED_STATES), distinct=True
            ),
        )
    )


def visits_by_group(station, start, end):
    return Group.objects.filter(station=station).annotate(
        n=Count(
            "members__visits",
            filter=Q(members__visits__visited_on__range=(start, end)),
            distinct=True,
        )
    )


def visits_by_month(station, start, end):
    return (
        Visit.objects.filter(station=station)
        .between(start, end)
        .annotate(month=TruncMonth("visited_on"))
        .order_by("month")
        .values("month")
        .annotate(n=Count("pk"))
    )


def visits_by_unit(station, start, end):
    return (
        Visit.objects.filter(station=station)
        .between(start, end)
        .values(
            "organization__name",
            "covered_unit__name",
            "enterprise_name",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "organization__name", "covered_unit__name", "enterprise_name")
    )


TENTH = Decimal("0.1")


@dataclass
class YearRow:
    instructor: Instructor
    points: dict[str, Decimal]  # item code → certified points before the cap
    total: Decimal
    grade: str
    pending: int  # records of the year not yet certified


def year_rows(rule_set: InstructorRuleSet) -> list[YearRow]:
    """Every instructor's year: certified points by item, the total within the yearly caps,
    the grade from the rule set's cut-offs, highest total first."""
    year = rule_set.year
    items = list(rule_set.items.all())
    caps = {item.code: item.yearly_cap for item in items}
    lines = (
        RecordLine.objects.filter(
            record__instructor__station=rule_set.station_id,
            record__week__year=year,
            record__state=RecordState.CERTIFIED,
            item__rule_set=rule_set,
        )
        .values("record__instructor", "item__code")
        .annotate(points=Sum(F("count") * F("item__points")))
    )
    by_instructor: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in lines:
        by_instructor[row["record__instructor"]][row["item__code"]] = Decimal(
            row["points"]
        ).quantize(TENTH)
    instructors = (
        Instructor.objects.filter(station=rule_set.station_id)
        .select_related("group", "batch")
        .annotate(
            pending=Count(
                "weeks",
                filter=Q(weeks__week__year=year) & ~Q(weeks__state=RecordState.CERTIFIED),
            )
        )
    )
    rows = []
    for instructor in instructors:
        points = by_instructor.get(instructor.pk, {})
        total = rules.capped_total(points, caps)
        rows.append(
            YearRow(
                instructor,
                points,
                total,
                rules.grade(total, rule_set.cutoffs),
                instructor.pending,
            )
        )
    rows.sort(key=lambda r: (-r.total, r.instructor.pk))
    return rows
