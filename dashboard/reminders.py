"""Reminders that come due with the calendar (send_reminders makes them): a month's close
deadline five days and one day ahead, for the office and the committee viewers; a
rectification's deadline three days ahead and once it is overdue, for the secretary.

A reminder is due while the day falls in its window, so a run missed on the exact day is made
up by the next; its key names the reminder and its period, so it is made only once.
"""

import datetime
from collections import Counter
from collections.abc import Iterator

from django.urls import reverse

from orgs.models import Organization, Role, User, Zone
from scoring.models import Period, Rectification, RuleSet, Status

from . import notify
from .completeness import COMMITTEE_PREFIX, COMPLETE, YearCompleteness
from .models import Kind
from .notify import Draft

# (name, first day, last day): the windows before a month's close deadline, in days left.
MONTH_WINDOWS = (("5d", 5, 2), ("1d", 1, 0))
RECTIFICATION_DUE_DAYS = 3


def month_window(days_left: int) -> str | None:
    """Which deadline reminder is due with `days_left` to a month's deadline, if any."""
    for name, first, last in MONTH_WINDOWS:
        if last <= days_left <= first:
            return name
    return None


def days_phrase(days: int) -> str:
    return "今天截止" if days == 0 else f"还有 {days} 天"


def deadline_months(zone: Zone, today: datetime.date) -> Iterator[tuple[RuleSet, int, int]]:
    """(rule set, month, days left) of the zone's open months whose deadline reminder is due:
    only last month's and this month's deadlines can lie ahead."""
    last = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    rule_sets = {
        rs.year: rs for rs in RuleSet.objects.filter(zone=zone, year__in={last[0], today.year})
    }
    closed = set(
        Period.objects.filter(zone=zone, closed=True, year__in=rule_sets).values_list(
            "year", "month"
        )
    )
    for year, month in (last, (today.year, today.month)):
        rule_set = rule_sets.get(year)
        if rule_set is None or (year, month) in closed:
            continue
        days = (rule_set.close_deadline(month) - today).days
        if month_window(days):
            yield rule_set, month, days


def month_drafts(zone: Zone, today: datetime.date) -> list[Draft]:
    drafts = []
    for rule_set, month, days in deadline_months(zone, today):
        year = rule_set.year
        window = month_window(days)
        organizations = Organization.objects.in_zone(zone).scored()
        state = YearCompleteness(organizations, rule_set)
        complete = set(state.month_progress(month)[COMPLETE])
        open_by_committee = Counter(
            committee for org, committee in state.organizations if org not in complete
        )
        deadline = rule_set.close_deadline(month)
        title = f"{year}年{month}月积分将于{deadline:%m月%d日}关账（{days_phrase(days)}）"
        url = reverse("dashboard:month", args=[year, month])
        key = f"month-deadline:{zone.pk}:{year}-{month:02d}:{window}"
        left = sum(open_by_committee.values())
        for user in notify.office_of(zone.pk):
            body = (
                f"尚有 {left} 个组织未录完（共 {len(state.organizations)} 个）。"
                if left
                else "全部组织已录完，请核对后按时关账。"
            )
            drafts.append(Draft(user, Kind.MONTH_DEADLINE, title, body, url, key))
        viewers = User.objects.filter(
            zone=zone, role=Role.COMMITTEE, is_active=True, committee__isnull=False
        ).select_related("committee")
        for viewer in viewers.order_by("pk"):
            committee = viewer.committee
            assert committee is not None  # the query asks for one
            mine = open_by_committee.get(committee.path[:COMMITTEE_PREFIX], 0)
            if mine:
                body = f"{committee.short_name}下尚有 {mine} 个组织未录完，请督促按时报送。"
                drafts.append(Draft(viewer, Kind.MONTH_DEADLINE, title, body, url, key))
    return drafts


def rectification_drafts(zone: Zone, today: datetime.date) -> list[Draft]:
    soon = today + datetime.timedelta(days=RECTIFICATION_DUE_DAYS)
    tasks = (
        Rectification.objects.filter(
            warning__organization__zone=zone,
            warning__organization__secretary__isnull=False,
            status__in=[Status.OPEN, Status.RETURNED],
            deadline__lte=soon,
        )
        .select_related("warning__notice", "warning__organization__secretary")
        .order_by("deadline", "pk")
    )
    drafts = []
    for task in tasks:
        notice = task.warning.notice
        quarter = f"{notice.year}年第{notice.quarter}季度"
        days = (task.deadline - today).days
        url = reverse("scoring:rectification", args=[task.pk])
        secretary = task.warning.organization.secretary
        if days >= 0:
            title = f"{quarter}整改将于{task.deadline:%m月%d日}到期（{days_phrase(days)}）"
            body = f"{task.get_status_display()}：请在期限内提交整改报告。"
            drafts.append(
                Draft(
                    secretary,
                    Kind.RECTIFICATION_DUE,
                    title,
                    body,
                    url,
                    f"rectification-due:{task.pk}",
                )
            )
        else:
            title = f"{quarter}整改已逾期 {-days} 天"
            body = f"整改期限为 {task.deadline:%Y年%m月%d日}，请尽快提交整改报告。"
            drafts.append(
                Draft(
                    secretary,
                    Kind.RECTIFICATION_OVERDUE,
                    title,
                    body,
                    url,
                    f"rectification-overdue:{task.pk}",
                )
            )
    return drafts


def due_drafts(zone: Zone, today: datetime.date) -> list[Draft]:
    """Every reminder of the zone due `today` that has not been made yet."""
    return notify.new_drafts([*month_drafts(zone, today), *rectification_drafts(zone, today)])
