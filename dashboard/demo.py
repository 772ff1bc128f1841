"""The demo's month-by-month entry record, for the dashboard to show something plausible.

The demo loads every month at once, so its points' history is dated the day it was loaded and
its months were all entered "late"; and its organizations rarely record every routine item
in a month. Here each past month of each organization gets an entry date as an office would
have had: mostly in the days before the close deadline, some after it, and the office marks
the month done where items were left empty. Deterministic for a seed; run once, after the
points are loaded (a second run finds the marks and changes nothing). The notices of past
events are read, as they would have been.
"""

import datetime
import random

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from orgs.models import Organization, Zone
from scoring.models import PointEntry, Rectification, RuleSet, Status

from .completeness import deadline_end
from .models import CompletionMark, Notification

# (share of organization-months, days relative to the deadline's end: from, to)
ON_TIME = (0.86, (-9, -1))
LATE = (0.08, (2, 25))
# The rest (6 %) are entered late and never marked: missing, if not every item has an entry.


@transaction.atomic
def date_entries(*, seed: int, zone: Zone, user) -> int:
    """Date the history of the zone's entries of every month whose deadline is over, and mark
    those months done; returns how many organization-months were marked."""
    if CompletionMark.objects.filter(organization__zone=zone).exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    organizations = list(
        Organization.objects.in_zone(zone).scored().order_by("path").values_list("pk", flat=True)
    )
    history = PointEntry.history.model
    marks = []
    for rule_set in RuleSet.objects.filter(zone=zone).order_by("year"):
        for month in range(1, 13):
            end = deadline_end(rule_set, month)
            if end > now:
                continue
            buckets: dict[datetime.datetime, list[int]] = {}
            for org in organizations:
                roll = rng.random()
                _, (first, last) = ON_TIME if roll < ON_TIME[0] else LATE
                # 3 pm of a working day around the deadline (its end is the next midnight).
                when = end + datetime.timedelta(days=rng.randint(first, last), hours=-9)
                when = min(when, now)
                buckets.setdefault(when, []).append(org)
                if roll < ON_TIME[0] + LATE[0]:
                    marks.append(
                        CompletionMark(
                            organization_id=org,
                            year=rule_set.year,
                            month=month,
                            marked_by=user,
                            marked_at=when,
                        )
                    )
            for when, orgs in buckets.items():
                history.objects.filter(
                    organization_id__in=orgs, year=rule_set.year, month=month
                ).update(history_date=when)
    _read_what_was_dealt_with(zone, now)
    bulk_create_with_history(
        marks,
        CompletionMark,
        batch_size=500,
        default_user=user,
        default_change_reason="演示数据：标记本月已录完",
    )
    return len(marks)


def _read_what_was_dealt_with(zone: Zone, now: datetime.datetime) -> None:
    """The demo's notices of past events were read long ago; those of tasks still waiting
    for someone (a report to review, a report to write) stay unread."""
    waiting = Rectification.objects.filter(warning__organization__zone=zone).exclude(
        status=Status.ACCEPTED
    )
    urls = [
        reverse("scoring:rectification", args=[pk]) for pk in waiting.values_list("pk", flat=True)
    ]
    Notification.objects.filter(user__zone=zone, read_at__isnull=True).exclude(url__in=urls).update(
        read_at=now
    )
