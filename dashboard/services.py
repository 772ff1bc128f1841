"""The office's writes of the dashboard: marking organizations' months done, each in one
transaction, with who and when kept in the marks' history."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from orgs.models import Organization, Zone
from scoring.services.steps import Refused

from .models import CompletionMark


def _check(zone: Zone, organizations: list[Organization], year: int, month: int) -> None:
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise Refused(f"{year}年{month}月尚未到来，不能标记为已录完")
    outside = [o.label for o in organizations if o.zone_id != zone.pk]
    if outside:
        raise Refused(f"{'、'.join(outside)}不是本区的组织")


@transaction.atomic
def mark_done(
    *, zone: Zone, organizations: list[Organization], year: int, month: int, user: Any
) -> int:
    """Mark each organization's (year, month) done; one already marked keeps its first mark.
    Returns how many were newly marked."""
    _check(zone, organizations, year, month)
    taken = set(
        CompletionMark.objects.filter(
            organization__in=organizations, year=year, month=month
        ).values_list("organization_id", flat=True)
    )
    now = timezone.now()
    made = 0
    for org in organizations:
        if org.pk in taken:
            continue
        mark = CompletionMark(
            organization=org, year=year, month=month, marked_by=user, marked_at=now
        )
        mark._change_reason = "标记本月已录完"  # type: ignore[attr-defined]
        mark.save()
        made += 1
    return made


@transaction.atomic
def unmark_done(
    *, zone: Zone, organizations: list[Organization], year: int, month: int, user: Any
) -> int:
    """Withdraw the organizations' marks of (year, month); the history keeps who did."""
    _check(zone, organizations, year, month)
    removed = 0
    for mark in CompletionMark.objects.select_for_update().filter(
        organization__in=organizations, year=year, month=month
    ):
        mark._history_user = user  # type: ignore[attr-defined]
        mark._change_reason = "撤销本月已录完标记"  # type: ignore[attr-defined]
        mark.delete()
        removed += 1
    return removed
