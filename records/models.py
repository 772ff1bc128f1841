"""The branch's work records (党务工作记录"一本通") with their evidence, and appeals (申诉)
against a published quarter's warning."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Count, Q
from simple_history.models import HistoricalRecords

from orgs.models import Organization
from scoring.models import Item, Warning, points_field


def attachment_storage():
    """The named storage of evidence files (settings.STORAGES["attachments"])."""
    return storages["attachments"]


def record_file_path(attachment, filename):
    # A random name: the stored name says nothing about the organization or the file.
    return f"records/{attachment.record.year}/{uuid.uuid4().hex}"


def appeal_file_path(appeal, filename):
    return f"appeals/{appeal.warning.notice.year}/{uuid.uuid4().hex}"


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    AWARDED = "awarded", "已采纳"
    RETURNED = "returned", "已退回"


class WorkRecordQuerySet(models.QuerySet):
    def editable(self):
        """What the secretary may still change: drafts and returned records."""
        return self.filter(state__in=[State.DRAFT, State.RETURNED])

    def waiting(self):
        return self.filter(state=State.SUBMITTED)

    def of_month(self, year, month):
        return self.filter(year=year, month=month)

    def cell_counts(self, org_ids, year, month):
        """{(organization, item): (records, awarded)} of a month, drafts left out: what the
        grid shows in each cell, in one query."""
        rows = (
            self.filter(organization_id__in=org_ids, year=year, month=month)
            .exclude(state=State.DRAFT)
            .values_list("organization_id", "item_id")
            .annotate(n=Count("pk"), awarded=Count("pk", filter=Q(state=State.AWARDED)))
            .order_by()
        )
        return {(org, item): (n, awarded) for org, item, n, awarded in rows}


class WorkRecord(models.Model):
    """One activity as the secretary recorded it, for the month it happened in."""

    organization_lookup = "organization"  # orgs.access scopes records by it

    organization = models.ForeignKey(
        Organization, verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        Item, verbose_name="小项", on_delete=models.PROTECT, related_name="work_records"
    )
    date = models.DateField("活动日期")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    title = models.CharField("活动名称", max_length=100)
    participants = models.CharField("参加人员", max_length=300, blank=True)
    content = models.TextField("活动内容", max_length=5000)
    claimed_points = points_field("自评分", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    late = models.BooleanField("逾期提交", default=False)
    awarded_points = points_field("采纳分值", null=True, blank=True)
    comment = models.TextField("审核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField("修改时间", null=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = WorkRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "工作记录"
        verbose_name_plural = "工作记录"
        ordering = ["date", "pk"]
        indexes = [
            models.Index(fields=["organization", "year", "month"], name="record_org_month"),
            models.Index(fields=["year", "month", "state"], name="record_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="record_month"),
            models.CheckConstraint(
                condition=~Q(state="awarded") | Q(awarded_points__isnull=False),
                name="record_awarded_has_points",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.title}"

    @property
    def label(self):
        return f"工作记录#{self.pk}《{self.title}》"

    @property
    def editable(self):
        return self.state in (State.DRAFT, State.RETURNED)


class RecordAttachment(models.Model):
    """One evidence file of a record, as partybuild.attachments accepted it; an image keeps a
    small thumbnail beside it."""

    organization_lookup = "record__organization"

    record = models.ForeignKey(WorkRecord, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to=record_file_path, max_length=200)
    thumbnail = models.FileField(
        storage=attachment_storage, upload_to=record_file_path, max_length=200, blank=True
    )
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class AppealState(models.TextChoices):
    OPEN = "open", "待处理"
    ACCEPTED = "accepted", "已采纳"
    REJECTED = "rejected", "未采纳"


class Appeal(models.Model):
    """申诉: a warned organization's objection to its warning in a published notice. The
    notice stays as published; an accepted appeal is corrected through a month reopen."""

    organization_lookup = "warning__organization"

    warning = models.ForeignKey(Warning, on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField("申诉理由", max_length=5000)
    attachment = models.FileField(
        "佐证材料",
        storage=attachment_storage,
        upload_to=appeal_file_path,
        blank=True,
        max_length=200,
    )
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        "状态", max_length=16, choices=AppealState.choices, default=AppealState.OPEN
    )
    answer = models.TextField("处理意见", blank=True)
    reopened_month = models.PositiveSmallIntegerField("重新开放的月份", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), excluded_fields=["attachment"]
    )

    class Meta:
        verbose_name = "申诉"
        verbose_name_plural = "申诉"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One appeal per warning at a time: a second waits for the first's answer.
            models.UniqueConstraint(
                fields=["warning"], condition=Q(state="open"), name="appeal_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.warning} 申诉"

    @property
    def label(self):
        return f"申诉#{self.pk}"
