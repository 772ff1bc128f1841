"""整改 (以查促改): the secretary reports on a warning; the office accepts it (销号) or returns
it with a comment. Every step is kept with who and when."""

from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ..models import Rectification, Status
from ..signals import rectification_changed
from .steps import Refused, save_step


def _locked(rectification: Rectification) -> Rectification:
    return Rectification.objects.select_for_update().get(pk=rectification.pk)


@transaction.atomic
def submit_rectification(
    *,
    rectification: Rectification,
    user: Any,
    report: str,
    attachment: File | None = None,
) -> Rectification:
    task = _locked(rectification)
    if task.status not in (Status.OPEN, Status.RETURNED):
        raise Refused(f"该整改当前为“{task.get_status_display()}”，不能再次提交")
    report = (report or "").strip()
    if not report:
        raise Refused("请填写整改措施和成效")
    task.report = report
    if attachment is not None:
        task.attachment.save(attachment.name or "附件", attachment, save=False)
        task.attachment_name = (attachment.name or "附件")[:200]
        task.attachment_type = getattr(attachment, "content_type", "") or ""
    first = task.status == Status.OPEN
    task.status = Status.SUBMITTED
    task.submitted_at = timezone.now()
    return _step(task, user, "提交整改报告" if first else "重新提交整改报告")


@transaction.atomic
def review_rectification(
    *, rectification: Rectification, user: Any, accept: bool, comment: str = ""
) -> Rectification:
    task = _locked(rectification)
    if task.status != Status.SUBMITTED:
        raise Refused(f"该整改当前为“{task.get_status_display()}”，只有待审核的整改可以销号或退回")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise Refused("退回整改必须填写意见")
    task.status = Status.ACCEPTED if accept else Status.RETURNED
    task.comment = comment
    return _step(task, user, "审核通过，销号" if accept else "退回修改")


def _step(task: Rectification, user: Any, reason: str) -> Rectification:
    save_step(task, user, reason)
    rectification_changed.send(sender=Rectification, rectification=task)
    return task
