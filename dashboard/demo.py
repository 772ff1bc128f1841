"""The demo office's marks of months entered in full.

The demo's organizations rarely record every routine item in a month (the work of a quarter
is spread over its months), so without the office's word none of their months would count as
complete. Here the office marks most of them done when their entries were made, a few days
late for some, and leaves a few unmarked (missing); the month being entered is marked for
those already in. The notices of events dealt with long ago are read. Deterministic for a
seed; a second run finds the marks and changes nothing.
"""

import datetime
import random
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from orgs.models import Organization, Zone
from scoring.models import PointEntry, Rectification, RuleSet, Status

from .completeness import deadline_end, routine_item_ids
from .models import CompletionMark, Notification

ON_TIME = 0.88  # marked the day after the entries were made
LATE = 0.06  # marked 2–20 days after the deadline; the rest stay missing


@transaction.atomic
def mark_entered_months(*, seed: int, zone: Zone, user: Any) -> int:
    """Mark the zone's organization-months that have entries but not one for every routine
    item; returns how many were marked."""
    if CompletionMark.objects.filter(organization__zone=zone).exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    organizations = Organization.objects.in_zone(zone).scored().values("pk")
    marks = []
    for rule_set in RuleSet.objects.filter(zone=zone).order_by("year"):
        items = routine_item_ids(rule_set)
        entered = (
            PointEntry.history.filter(
                organization_id__in=organizations,
                year=rule_set.year,
                item_id__in=items,
                points__isnull=False,
            )
            .order_by("organization_id", "month")
            .values_list("organization_id", "month")
            .annotate(last=Max("history_date"))
        )
        for org, month, last in entered:
            end = deadline_end(rule_set, month)
            roll = rng.random()
            if end > now:
                when = last + datetime.timedelta(hours=2)
            elif roll < ON_TIME:
                when = min(last + datetime.timedelta(days=1), end - datetime.timedelta(hours=8))
            elif roll < ON_TIME + LATE:
                when = end + datetime.timedelta(days=rng.randint(2, 20), hours=10)
            else:
                continue
            marks.append(
                CompletionMark(
                    organization_id=org,
                    year=rule_set.year,
                    month=month,
                    marked_by=user,
                    marked_at=min(when, now),
                )
            )
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
    """Notices of tasks still waiting for someone (a report to review, a report to write)
    stay unread; the others were read when they came."""
    waiting = Rectification.objects.filter(warning__organization__zone=zone).exclude(
        status=Status.ACCEPTED
    )
    urls = [
        reverse("scoring:rectification", args=[pk]) for pk in waiting.values_list("pk", flat=True)
    ]
    Notification.objects.filter(user__zone=zone, read_at__isnull=True).exclude(url__in=urls).update(
        read_at=now
    )
