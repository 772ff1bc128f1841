"""Pure rules of the instructors' assessment and the station's calendar: numbers and dates
in, verdicts out. No ORM, no today()."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

EXCELLENT, GOOD, PASSING, FAILING = "优秀", "良好", "合格", "不合格"
GRADES = (EXCELLENT, GOOD, PASSING, FAILING)
WORKING_DAYS = 5
A_GROUPS, B_GROUPS = 1, 2  # each working day: one group on station duty, two visiting


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def working_days(monday: datetime.date) -> list[datetime.date]:
    return [monday + datetime.timedelta(days=n) for n in range(WORKING_DAYS)]


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def capped_total(points: Mapping[str, Decimal], caps: Mapping[str, Decimal]) -> Decimal:
    """The year's total: each item's points held to its yearly cap."""
    return sum((min(value, caps[code]) for code, value in points.items()), Decimal(0))


def grade(total: Decimal, cutoffs: tuple[Decimal, Decimal, Decimal]) -> str:
    """优秀 / 良好 / 合格 at or above each cut-off, 不合格 below the last."""
    for name, line in zip(GRADES, cutoffs, strict=False):
        if total >= line:
            return name
    return FAILING


def rotation(groups: list[int], monday: datetime.date) -> list[tuple[int, list[int]]]:
    """A week's roster: (A group, [B groups]) for each working day, the groups taking turns
    so that over the weeks each group stands A as often as any other."""
    if len(groups) < A_GROUPS + B_GROUPS:
        raise ValueError("排班至少需要 3 个指导组（每天 1 个 A 岗、2 个 B 岗）。")
    start = (monday.toordinal() // 7) * WORKING_DAYS
    days = []
    for n in range(WORKING_DAYS):
        turn = (start + n) % len(groups)
        a = groups[turn]
        b = [groups[(turn + k) % len(groups)] for k in (1, 2)]
        days.append((a, b))
    return days


def is_valid_day(a_groups: Iterable[int], b_groups: Iterable[int]) -> bool:
    """One group on A, two others on B."""
    a, b = list(a_groups), list(b_groups)
    return len(a) == A_GROUPS and len(set(b)) == B_GROUPS == len(b) and not set(a) & set(b)
