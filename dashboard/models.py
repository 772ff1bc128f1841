"""The office's own records beside the points: an organization's month marked done, and the
in-app notices (站内消息) each user receives."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from orgs.models import Organization


class CompletionMark(models.Model):
    """The office's word that an organization's month is entered in full although not every
    routine item has an entry (nothing happened for the others). Removing it is kept in the
    history with who and when."""

    organization_lookup = "organization"  # orgs.access scopes marks by it

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="标记人",
    )
    marked_at = models.DateTimeField("标记时间", default=timezone.now)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "本月已录完标记"
        verbose_name_plural = "本月已录完标记"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "month"], name="completion_mark_once"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="completion_mark_month"
            ),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.year}-{self.month} 已录完"


class Kind(models.TextChoices):
    WARNING = "warning", "预警通报"
    RECTIFICATION_DUE = "rectification_due", "整改即将到期"
    RECTIFICATION_OVERDUE = "rectification_overdue", "整改逾期"
    REPORT_SUBMITTED = "report_submitted", "整改待审核"
    REPORT_RETURNED = "report_returned", "整改被退回"
    REPORT_ACCEPTED = "report_accepted", "整改已销号"
    MONTH_DEADLINE = "month_deadline", "月度关账提醒"
    RECORD_REVIEWED = "record_reviewed", "工作记录审核"
    APPEAL_FILED = "appeal_filed", "收到申诉"
    APPEAL_ANSWERED = "appeal_answered", "申诉已答复"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def mail_pending(self):
        return self.filter(mail_pending=True)


class Notification(models.Model):
    """站内消息: one notice to one user, linking to the page where they can act. Reminders carry
    a `key` naming what and which period they remind of, so that the same reminder is never
    created (nor sent) twice; notices of events have none."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类别", max_length=32, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300)
    key = models.CharField("提醒标识", max_length=120, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    # Decided when the notice is made (the user has an address): send_reminders mails it
    # and clears the flag; a failed send keeps it for the next run.
    mail_pending = models.BooleanField("待发邮件", default=False)
    mailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(
                fields=["mail_pending"], name="notification_mail", condition=Q(mail_pending=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_reminder_once"
            ),
        ]

    def __str__(self):
        return self.title
