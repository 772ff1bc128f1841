"""Whether an organization's month is entered in full (录入完整), and whether it was on time.

The rule set decides it: a month is complete when every routine item has an entry for the
organization (a recorded value, 0 included), or when the office marked the month done
(CompletionMark). It was on time when that was so before the end of the month's close
deadline (`RuleSet.close_deadline`), as the points' history dates tell.

The database counts the entries per organization and month of the zone and year in grouped
queries; `month_state` is the one statement of the rule, applied to those counts. The counts
are kept in the cache under what they depend on: the entries now under the zone's scorecard
stamps (every write to the points refreshes its organization's scorecard), the entries before
a deadline once that deadline is over (the history only grows with later dates then).
"""

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.db.models.functions import Substr
from django.utils import timezone

from orgs.models import Organization, OrganizationQuerySet, ZoneMove
from scoring import rules
from scoring.models import PointEntry, RuleSet, Scorecard

from .models import CompletionMark

ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
OPEN = "open"

STATES = {
    ON_TIME: "按时录完",
    LATE: "逾期补录",
    MISSING: "缺报",
    OPEN: "未到期",
}
# What a map cell shows besides its colour, so that the map reads without colours too.
GLYPHS = {ON_TIME: "✓", LATE: "补", MISSING: "缺", OPEN: "·"}

COMPLETE = "complete"
PARTIAL = "partial"
NOT_STARTED = "not_started"
PROGRESS = {COMPLETE: "已录完", PARTIAL: "部分录入", NOT_STARTED: "未录入"}

COMMITTEE_PREFIX = Organization.steplen * 2
MONTHS = range(1, 13)


def deadline_end(rule_set: RuleSet, month: int) -> datetime.datetime:
    """The moment the month's close deadline is over: the end of that day, local time."""
    day = rule_set.close_deadline(month) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def is_complete(*, entered: int, routine: int, marked: bool) -> bool:
    return marked or entered >= routine


def month_state(
    *,
    entered: int,
    entered_by_deadline: int,
    routine: int,
    marked_at: datetime.datetime | None,
    deadline: datetime.datetime,
    now: datetime.datetime,
) -> str:
    """One organization's month: on time, late or missing once its deadline is over; before
    that, on time when already complete, else not yet due.

    `entered` counts the routine items with an entry now, `entered_by_deadline` those that had
    one before `deadline` (the end of the close deadline's day); `marked_at` is when the
    office marked the month done, if it did."""
    complete = is_complete(entered=entered, routine=routine, marked=marked_at is not None)
    if now < deadline:
        return ON_TIME if complete else OPEN
    if not complete:
        return MISSING
    in_time = (marked_at is not None and marked_at < deadline) or entered_by_deadline >= routine
    return ON_TIME if in_time else LATE


def routine_item_ids(rule_set: RuleSet) -> list[int]:
    return list(rule_set.items.filter(kind=rules.ROUTINE).values_list("pk", flat=True))


COUNTS_TTL = 24 * 60 * 60
Counts = dict[tuple[int, int], int]


def _key(name: str, *parts: object) -> str:
    """A cache key naming `parts` (stamps and all), short and of safe characters."""
    return f"{name}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


@dataclass(frozen=True)
class Stamps:
    """What the zone's counts of a year depend on besides the deadlines: its scorecards (every
    write to the points refreshes its organization's), its marks and the moves between zones."""

    scorecards: tuple
    marks: tuple
    moved: int | None

    @classmethod
    def of(cls, zone_id: int, year: int) -> "Stamps":
        cards = Scorecard.objects.filter(zone=zone_id, year=year).aggregate(
            latest=Max("updated_at"), n=Count("pk")
        )
        marks = CompletionMark.objects.filter(organization__zone=zone_id, year=year).aggregate(
            latest=Max("pk"), n=Count("pk")
        )
        moved = ZoneMove.objects.aggregate(latest=Max("pk"))["latest"]
        return cls((cards["latest"], cards["n"]), (marks["latest"], marks["n"]), moved)


def _cached(key: str, compute):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, COUNTS_TTL)
    return value


def entered_counts(zone_id: int, year: int, items: list[int], stamps: Stamps) -> Counts:
    """{(organization, month): routine items with an entry now}, for the zone's organizations."""
    key = _key("entered", zone_id, year, items, stamps.scorecards)
    return _cached(key, lambda: _entered_counts(zone_id, year, items))


def _entered_counts(zone_id: int, year: int, items: list[int]) -> Counts:
    rows = (
        PointEntry.objects.recorded()
        .filter(organization__zone=zone_id, year=year, item_id__in=items)
        .order_by()
        .values_list("organization_id", "month")
        .annotate(n=Count("pk"))
    )
    return {(org, month): n for org, month, n in rows}


def entered_by_deadline_counts(
    rule_set: RuleSet, items: list[int], months: list[int], stamps: Stamps
) -> Counts:
    """{(organization, month): routine items that had an entry before the month's deadline
    was over}, for the zone's organizations and `months` (those whose deadline is over: before
    it, now is what counts). Read from the points' history, where every value ever saved keeps
    its date; organizations moving in bring theirs."""
    if not months:
        return {}
    key = _key("on-time", rule_set.pk, rule_set.updated_at, items, months, stamps.moved)
    return _cached(key, lambda: _entered_by_deadline_counts(rule_set, items, months))


def _entered_by_deadline_counts(rule_set: RuleSet, items: list[int], months: list[int]) -> Counts:
    before_deadline = Q()
    for month in months:
        before_deadline |= Q(month=month, history_date__lt=deadline_end(rule_set, month))
    rows = (
        PointEntry.history.filter(
            organization_id__in=Organization.objects.in_zone(rule_set.zone_id).values("pk"),
            year=rule_set.year,
            item_id__in=items,
            points__isnull=False,
        )
        .filter(before_deadline)
        .order_by()
        .values_list("organization_id", "month")
        .annotate(n=Count("item_id", distinct=True))
    )
    return {(org, month): n for org, month, n in rows}


def marked_months(zone_id: int, year: int) -> dict[tuple[int, int], datetime.datetime]:
    """{(organization, month): when the office marked it done}, for the zone's organizations."""
    rows = CompletionMark.objects.filter(organization__zone=zone_id, year=year).values_list(
        "organization_id", "month", "marked_at"
    )
    return {(org, month): at for org, month, at in rows}


@dataclass
class Rate:
    """On-time figures of a group of organizations over the months whose deadline is over."""

    counts: Counter = field(default_factory=Counter)

    @property
    def due(self) -> int:
        return self.counts[ON_TIME] + self.counts[LATE] + self.counts[MISSING]

    @property
    def on_time(self) -> int:
        return self.counts[ON_TIME]

    @property
    def late(self) -> int:
        return self.counts[LATE]

    @property
    def missing(self) -> int:
        return self.counts[MISSING]

    @property
    def share(self) -> float | None:
        """The on-time rate, None before any deadline is over."""
        return self.on_time / self.due if self.due else None


class YearCompleteness:
    """Every organization × month of a scope and year, with the states of `month_state`."""

    def __init__(self, organizations: OrganizationQuerySet, rule_set: RuleSet, *, now=None):
        self.rule_set = rule_set
        self.year = rule_set.year
        self.now = now or timezone.now()
        self.items = routine_item_ids(rule_set)
        self.routine = len(self.items)
        self.deadlines = {m: deadline_end(rule_set, m) for m in range(1, 13)}
        self.due_months = [m for m, end in self.deadlines.items() if end <= self.now]
        # Organizations with their committee (the first two steps of the path), in tree order.
        self.organizations = list(
            organizations.order_by("path").values_list("pk", Substr("path", 1, COMMITTEE_PREFIX))
        )
        stamps = Stamps.of(rule_set.zone_id, self.year)
        self.entered = entered_counts(rule_set.zone_id, self.year, self.items, stamps)
        key = _key("states", rule_set.pk, rule_set.updated_at, self.items, self.due_months, stamps)
        self._states = _cached(key, lambda: self._zone_states(stamps))

    def _zone_states(self, stamps: Stamps) -> dict[int, list[str]]:
        """{organization: [state of January … December]} of the zone's organizations with any
        entry or mark this year; the others' follow from the deadlines alone."""
        by_deadline = entered_by_deadline_counts(self.rule_set, self.items, self.due_months, stamps)
        marked = marked_months(self.rule_set.zone_id, self.year)
        result = {}
        for org in {org for org, _ in self.entered} | {org for org, _ in marked}:
            result[org] = [
                month_state(
                    entered=self.entered.get((org, m), 0),
                    entered_by_deadline=by_deadline.get((org, m), 0),
                    routine=self.routine,
                    marked_at=marked.get((org, m)),
                    deadline=self.deadlines[m],
                    now=self.now,
                )
                for m in MONTHS
            ]
        return result

    def _blank(self) -> list[str]:
        """The states of an organization without entries or marks."""
        return [MISSING if m in self.due_months else OPEN for m in MONTHS]

    def state(self, org_id: int, month: int) -> str:
        return self.states([org_id])[org_id][month - 1]

    def progress(self, org_id: int, month: int) -> str:
        """Complete (on time or late), partial or not started."""
        if self.state(org_id, month) in (ON_TIME, LATE):
            return COMPLETE
        return PARTIAL if self.entered.get((org_id, month)) else NOT_STARTED

    def states(self, org_ids: Iterable[int]) -> dict[int, list[str]]:
        """{organization: [state of January … December]} for (at least) `org_ids`."""
        blank = None
        for org in org_ids:
            if org not in self._states:
                blank = blank or self._blank()
                self._states[org] = blank
        return self._states

    def rates(self) -> tuple[Rate, dict[str, Rate]]:
        """The scope's on-time rate and each committee's ({committee path: Rate})."""
        states = self.states(org for org, _ in self.organizations)
        whole, by_committee = Rate(), dict[str, Rate]()
        for org, committee in self.organizations:
            rate = by_committee.setdefault(committee, Rate())
            for month in self.due_months:
                state = states[org][month - 1]
                whole.counts[state] += 1
                rate.counts[state] += 1
        return whole, by_committee

    def by_month(self) -> dict[int, Counter]:
        """{month: Counter of states} over the scope."""
        states = self.states(org for org, _ in self.organizations)
        return {
            m: Counter(states[org][m - 1] for org, _ in self.organizations) for m in range(1, 13)
        }

    def month_progress(self, month: int) -> dict[str, list[int]]:
        """{complete | partial | not started: [organization ids in tree order]} of `month`."""
        result: dict[str, list[int]] = {COMPLETE: [], PARTIAL: [], NOT_STARTED: []}
        for org, _ in self.organizations:
            result[self.progress(org, month)].append(org)
        return result
