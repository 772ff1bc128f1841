"""Notices of events, made where they happen (scoring's signals, inside their transaction)."""

from typing import Any

from django.dispatch import receiver
from django.urls import reverse

from scoring.models import Notice, Rectification, Status
from scoring.signals import notice_published, rectification_changed

from . import notify
from .models import Kind


@receiver(notice_published)
def tell_warned_secretaries(sender: Any, notice: Notice, **kwargs: Any) -> None:
    """Each warned organization's secretary learns of the warning and the task it opens."""
    tasks = (
        Rectification.objects.filter(
            warning__notice=notice, warning__organization__secretary__isnull=False
        )
        .select_related("warning__organization__secretary")
        .order_by("pk")
    )
    notify.create(
        notify.Draft(
            user=task.warning.organization.secretary,
            kind=Kind.WARNING,
            title=f"{task.warning.organization.name}被列入{notice.year}年第{notice.quarter}季度"
            f"{task.warning.get_level_display()}预警",
            body=f"预警通报 {notice.label}：本季度得分 {task.warning.total:.1f} 分。"
            f"请在 {task.deadline:%Y年%m月%d日} 前提交整改报告。",
            url=reverse("scoring:rectification", args=[task.pk]),
        )
        for task in tasks
    )


@receiver(rectification_changed)
def tell_about_the_step(sender: Any, rectification: Rectification, **kwargs: Any) -> None:
    """A submitted report goes to the office for review; a returned or accepted one back to
    the organization's secretary."""
    task = rectification
    org = task.warning.organization
    url = reverse("scoring:rectification", args=[task.pk])
    notice = task.warning.notice
    quarter = f"{notice.year}年第{notice.quarter}季度"
    if task.status == Status.SUBMITTED:
        notify.create(
            notify.Draft(
                user=user,
                kind=Kind.REPORT_SUBMITTED,
                title=f"{org.name}提交了{quarter}的整改报告，待审核",
                body=f"整改期限 {task.deadline:%Y年%m月%d日}。请审核后销号或退回。",
                url=url,
            )
            for user in notify.office_of(org.zone_id)
        )
    elif org.secretary_id and task.status in (Status.RETURNED, Status.ACCEPTED):
        returned = task.status == Status.RETURNED
        notify.create(
            [
                notify.Draft(
                    user=org.secretary,
                    kind=Kind.REPORT_RETURNED if returned else Kind.REPORT_ACCEPTED,
                    title=f"{quarter}整改报告已被退回，请修改后重新提交"
                    if returned
                    else f"{quarter}整改已销号",
                    body=f"审核意见：{task.comment}" if task.comment else "",
                    url=url,
                )
            ]
        )
