"""Month periods: a month is open until the office closes it; a closed month changes only
after a reopen with a written reason."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from orgs.models import Zone

from ..models import Period, YearState
from .steps import Refused, locked_or_new, save_step


@transaction.atomic
def close_month(*, zone: Zone, year: int, month: int, user: Any) -> Period:
    today = timezone.localdate()
    if (year, month) >= (today.year, today.month):
        raise Refused(f"{year}年{month}月尚未结束，不能关账")
    period = locked_or_new(Period, zone=zone, year=year, month=month)
    if period.closed:
        return period
    period.closed, period.reason = True, ""
    return save_step(period, user, "关账")


@transaction.atomic
def reopen_month(*, zone: Zone, year: int, month: int, user: Any, reason: str) -> Period:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("重新开放必须填写原因")
    if YearState.objects.filter(zone=zone, year=year, finalized=True).exists():
        raise Refused(f"{year} 年度已定级，请先撤销定级再重新开放月份")
    # A published quarter's month may be corrected too: its notice and warnings were frozen
    # as published and do not follow later edits.
    period = locked_or_new(Period, zone=zone, year=year, month=month)
    period.closed, period.reason = False, reason
    return save_step(period, user, f"重新开放：{reason}")
