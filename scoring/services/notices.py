"""预警通报: publishing a quarter freezes its warnings and opens a rectification task for each
warned organization."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from orgs.models import Organization, Zone

from .. import rules
from ..models import Notice, Rectification, RuleSet, Warning
from ..signals import notice_published
from ..standings import quarter_standings
from .periods import close_month
from .steps import Refused


def next_notice_number(zone: Zone, number_year: int) -> int:
    """The next number of the zone's documents issued in `number_year`."""
    latest = Notice.objects.filter(zone=zone, number_year=number_year).order_by("-number").first()
    return latest.number + 1 if latest else 1


def publish_notice(
    *,
    zone: Zone,
    year: int,
    quarter: int,
    number: int,
    published_on: datetime.date,
    title: str,
    text: str,
    user: Any,
) -> Notice:
    """Publish the zone's warnings of a quarter: close its months, freeze every warned
    organization as a Warning and open a rectification task for each, with the rule set's
    deadline."""
    try:
        return _publish_notice(
            zone=zone,
            year=year,
            quarter=quarter,
            number=number,
            published_on=published_on,
            title=title,
            text=text,
            user=user,
        )
    except IntegrityError:
        raise Refused(
            f"{year}年第{quarter}季度的通报或文号 〔{published_on.year}〕第{number}号 已被使用"
        ) from None


@transaction.atomic
def _publish_notice(
    *,
    zone: Zone,
    year: int,
    quarter: int,
    number: int,
    published_on: datetime.date,
    title: str,
    text: str,
    user: Any,
) -> Notice:
    rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
    if rule_set is None:
        raise Refused(f"{year} 年度尚未建立评分细则")
    if not 1 <= quarter <= 4:
        raise Refused(f"季度 {quarter} 无效")
    if Notice.objects.filter(zone=zone, year=year, quarter=quarter).exists():
        raise Refused(f"{year}年第{quarter}季度的预警通报已经发布")
    last_day = rules.quarter_end(year, quarter)
    if timezone.localdate() <= last_day:
        raise Refused(f"{year}年第{quarter}季度尚未结束，不能发布通报")
    if published_on <= last_day:
        # Deadlines count from this date; one inside the quarter would start tasks overdue.
        raise Refused(
            f"发布日期应晚于季度最后一天（{last_day.year}年{last_day.month}月{last_day.day}日）"
        )
    for month in rules.months_of(quarter):
        close_month(zone=zone, year=year, month=month, user=user)
    standings = quarter_standings(zone, Organization.objects.in_zone(zone).scored(), year, quarter)
    notice = Notice.objects.create(
        zone=zone,
        year=year,
        quarter=quarter,
        number_year=published_on.year,
        number=number,
        title=title,
        text=text,
        published_on=published_on,
        published_by=user,
        scored_count=len(standings),
    )
    warnings = Warning.objects.bulk_create(
        Warning(
            notice=notice,
            organization_id=s.organization_id,
            level=s.level,
            total=s.total,
            previous_total=s.previous_total,
            before_previous_total=s.before_previous_total,
            had_entries=s.entries > 0,
        )
        for s in standings.values()
        if s.warned
    )
    now = timezone.now()
    bulk_create_with_history(
        [
            Rectification(
                warning=w,
                deadline=published_on
                + datetime.timedelta(days=rule_set.rectification_days(w.level)),
                changed_by=user,
                changed_at=now,
            )
            for w in warnings
        ],
        Rectification,
        batch_size=500,
        default_user=user,
        default_change_reason=f"通报 {notice.label} 发布，开始整改",
    )
    notice_published.send(sender=Notice, notice=notice)
    return notice
