"""申诉: after a quarter's notice is published, a warned organization's secretary may appeal
within the rule set's `appeal_days`; the office accepts it (the correction goes through a
month reopen with the appeal as its reason: the notice stays as published) or rejects it with
a reason. Every step is kept with who, when and why; the secretary is told in-app."""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from dashboard import notify
from partybuild.attachments import Accepted
from scoring import rules
from scoring.models import RuleSet, Warning
from scoring.services.periods import reopen_month
from scoring.services.steps import Refused, save_step

from .models import Appeal, AppealState


def window_end(published_on: datetime.date, appeal_days: int | None) -> datetime.date:
    """The last day an appeal is taken: `appeal_days` after the notice was published."""
    return published_on + datetime.timedelta(days=appeal_days or 0)


def appeal_deadline(warning: Warning) -> datetime.date:
    notice = warning.notice
    days = (
        RuleSet.objects.filter(zone=notice.zone_id, year=notice.year)
        .values_list("appeal_days", flat=True)
        .first()
    )
    return window_end(notice.published_on, days)


def appeal_problem(warning: Warning, today: datetime.date) -> str | None:
    """Why the warning's organization cannot appeal it now, or None."""
    deadline = appeal_deadline(warning)
    if today > deadline:
        return f"申诉期限已过（截至 {deadline.year}年{deadline.month}月{deadline.day}日）"
    if Appeal.objects.filter(warning=warning, state=AppealState.OPEN).exists():
        return "该预警已有待处理的申诉，请等待党建办答复"
    return None


# RuleSet.appeal_days is at most this: warnings published longer ago can no longer be appealed.
LONGEST_WINDOW = 60


def appeal_panel(organization: Any, today: datetime.date) -> list[dict[str, Any]]:
    """What the organization's page shows of appeals, newest notice first: each warning still
    open to appeal (with its deadline, whether the secretary may appeal now) and each warning
    with appeals, with them. Two queries."""
    appeals: dict[int, list[Appeal]] = {}
    for appeal in Appeal.objects.filter(warning__organization=organization).order_by("pk"):
        appeals.setdefault(appeal.warning_id, []).append(appeal)
    days = RuleSet.objects.filter(
        zone=OuterRef("notice__zone"), year=OuterRef("notice__year")
    ).values("appeal_days")[:1]
    warnings = (
        Warning.objects.filter(organization=organization)
        .filter(
            Q(notice__published_on__gte=today - datetime.timedelta(days=LONGEST_WINDOW))
            | Q(pk__in=list(appeals))
        )
        .select_related("notice")
        .annotate(appeal_days=Subquery(days))
        .order_by("-notice__year", "-notice__quarter")
    )
    panel = []
    for warning in warnings:
        deadline = window_end(warning.notice.published_on, warning.appeal_days)
        mine = appeals.get(warning.pk, [])
        waiting = any(a.state == AppealState.OPEN for a in mine)
        if mine or today <= deadline:
            panel.append(
                {
                    "warning": warning,
                    "deadline": deadline,
                    "can_appeal": today <= deadline and not waiting,
                    "appeals": mine,
                }
            )
    return panel


@transaction.atomic
def file_appeal(
    *, warning: Warning, user: Any, reason: str, attachment: Accepted | None = None
) -> Appeal:
    warning = (
        Warning.objects.select_for_update()
        .select_related("notice", "organization")
        .get(pk=warning.pk)
    )
    problem = appeal_problem(warning, timezone.localdate())
    if problem:
        raise Refused(problem)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("请填写申诉理由")
    appeal = Appeal(warning=warning, reason=reason, created_by=user)
    if attachment is not None:
        appeal.attachment.save(attachment.name, attachment.as_file(), save=False)
        appeal.attachment_name, appeal.attachment_type = attachment.name, attachment.content_type
    save_step(appeal, user, "提交申诉")
    notice = warning.notice
    notify.create(
        notify.Draft(
            user=staff,
            kind="appeal_filed",
            title=f"{warning.organization.label}对{notice.year}年第{notice.quarter}季度预警提出申诉",
            body=reason[:200],
            url=reverse("records:appeal", args=[appeal.pk]),
        )
        for staff in notify.office_of(warning.organization.zone_id)
    )
    return appeal


@transaction.atomic
def answer_appeal(
    *, appeal: Appeal, user: Any, accept: bool, answer: str, month: int | None = None
) -> Appeal:
    """Accept (reopening `month` of the notice's quarter with the appeal as the reason) or
    reject with a reason."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("warning__notice", "warning__organization__secretary")
        .get(pk=appeal.pk)
    )
    if appeal.state != AppealState.OPEN:
        raise Refused(f"该申诉{appeal.get_state_display()}，不能再次处理")
    answer = (answer or "").strip()
    if not answer:
        raise Refused("请填写处理意见" if accept else "不予采纳必须说明理由")
    notice = appeal.warning.notice
    organization = appeal.warning.organization
    if accept:
        if month is None or month not in rules.months_of(notice.quarter):
            raise Refused(f"请选择第{notice.quarter}季度中需要更正的月份")
        reopen_month(
            zone=organization.zone,
            year=notice.year,
            month=month,
            user=user,
            reason=f"{appeal.label}（{organization.label}）：{answer}",
        )
        appeal.reopened_month = month
    appeal.state = AppealState.ACCEPTED if accept else AppealState.REJECTED
    appeal.answer = answer
    save_step(appeal, user, f"采纳申诉，重新开放{notice.year}年{month}月" if accept else "不予采纳")
    if organization.secretary is not None:
        outcome = f"已采纳，{notice.year}年{month}月已重新开放更正" if accept else "未予采纳"
        notify.create(
            [
                notify.Draft(
                    user=organization.secretary,
                    kind="appeal_answered",
                    title=f"您对{notice.year}年第{notice.quarter}季度预警的申诉{outcome}",
                    body=answer,
                    url=reverse("records:appeal", args=[appeal.pk]),
                )
            ]
        )
    return appeal
