"""Rule sets, point entries and the per-month totals kept beside them, month periods."""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from orgs.models import Organization, Zone

from . import rules
from .queries import PointEntryQuerySet


def points_field(verbose_name: str | None = None, **options: Any) -> models.DecimalField:
    """Points: tenths of a point (the step is the rule set's), up to 99,999.9."""
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=1, **options)


def money_field(verbose_name: str | None = None, **options: Any) -> models.DecimalField:
    """Yuan with fen."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **options)


# A rectification period longer than a year would outlive the notice that sets it.
MAX_RECTIFICATION_DAYS = 365


def positive(label):
    return [MinValueValidator(Decimal("0"), f"{label}不能为负数。")]


def rectification_days(label):
    message = f"{label}整改期限应在 1 至 {MAX_RECTIFICATION_DAYS} 天之间。"
    return [MinValueValidator(1, message), MaxValueValidator(MAX_RECTIFICATION_DAYS, message)]


class Column(models.TextChoices):
    """The four columns of the monthly record sheet (积分制管理记录表)."""

    DAILY = "daily", "日常工作"
    THEME = "theme", "主题活动"
    ROLE = "role", "作用发挥"
    PUBLICITY = "publicity", "信息宣传"


class ItemKind(models.TextChoices):
    ROUTINE = rules.ROUTINE, "常规工作"
    FEATURED = rules.FEATURED, "特色工作（加分）"
    DEDUCTION = rules.DEDUCTION, "扣分"


# The record sheet's columns (积分制管理记录表) in their order: a major item's column, then bonus
# and deduction items by their kind. The grid, the record sheet and the month template all
# show the items in this order.
RECORD_COLUMNS = [
    *((column.value, column.label) for column in Column),
    (ItemKind.FEATURED.value, "加分"),
    (ItemKind.DEDUCTION.value, "扣分"),
]


class RuleSet(models.Model):
    """评分细则: one per zone and year. Every number the rules use lives here."""

    zone = models.ForeignKey(
        Zone, verbose_name="开发区", on_delete=models.PROTECT, related_name="rule_sets"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField("名称", max_length=100)
    point_step = points_field("最小分值单位", default=Decimal("0.5"))
    warning_threshold = points_field("季度预警线", default=Decimal("25"))
    orange_threshold = points_field("二级（橙色）预警线", default=Decimal("20"))
    red_threshold = points_field("三级（红色）预警线", default=Decimal("15"))
    first_grade_min = points_field(
        "一档最低分", default=Decimal("90"), validators=positive("一档最低分")
    )
    second_grade_min = points_field(
        "二档最低分", default=Decimal("80"), validators=positive("二档最低分")
    )
    # Every month has a 28th, so the deadline exists in February too.
    close_day = models.PositiveSmallIntegerField(
        "月度关账日（次月几日）",
        default=10,
        validators=[
            MinValueValidator(1, "月度关账日应在次月 1 至 28 日之间。"),
            MaxValueValidator(28, "月度关账日应在次月 1 至 28 日之间。"),
        ],
    )
    yellow_days = models.PositiveSmallIntegerField(
        "黄色预警整改期限（天）", default=15, validators=rectification_days("黄色预警")
    )
    orange_days = models.PositiveSmallIntegerField(
        "橙色预警整改期限（天）", default=30, validators=rectification_days("橙色预警")
    )
    red_days = models.PositiveSmallIntegerField(
        "红色预警整改期限（天）", default=30, validators=rectification_days("红色预警")
    )
    coefficient_first = models.DecimalField(
        "一档绩效系数",
        default=Decimal("1.10"),
        max_digits=4,
        decimal_places=2,
        validators=positive("一档绩效系数"),
    )
    coefficient_second = models.DecimalField(
        "二档绩效系数",
        default=Decimal("1.00"),
        max_digits=4,
        decimal_places=2,
        validators=positive("二档绩效系数"),
    )
    coefficient_third = models.DecimalField(
        "三档绩效系数",
        default=Decimal("0.90"),
        max_digits=4,
        decimal_places=2,
        validators=positive("三档绩效系数"),
    )
    subsidy_first = money_field(
        "一档奖补金额（元）", default=Decimal("20000"), validators=positive("一档奖补金额")
    )
    subsidy_second = money_field(
        "二档奖补金额（元）", default=Decimal("10000"), validators=positive("二档奖补金额")
    )
    subsidy_third = money_field(
        "三档奖补金额（元）", default=Decimal("0"), validators=positive("三档奖补金额")
    )
    # 申诉: how long after a quarter's notice is published a warned organization may appeal.
    appeal_days = models.PositiveSmallIntegerField(
        "申诉期限（通报发布后天数）",
        default=5,
        validators=[
            MinValueValidator(1, "申诉期限应在 1 至 60 天之间。"),
            MaxValueValidator(60, "申诉期限应在 1 至 60 天之间。"),
        ],
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "评分细则"
        verbose_name_plural = "评分细则"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "year"], name="ruleset_one_per_zone_year"),
            # A quarter without entries totals 0 and must be warned red, whatever came before.
            models.CheckConstraint(condition=Q(red_threshold__gt=0), name="ruleset_red_positive"),
            models.CheckConstraint(
                condition=Q(red_threshold__lte=models.F("orange_threshold"))
                & Q(orange_threshold__lte=models.F("warning_threshold")),
                name="ruleset_warning_lines_ordered",
            ),
            models.CheckConstraint(
                condition=Q(second_grade_min__lte=models.F("first_grade_min")),
                name="ruleset_grade_lines_ordered",
            ),
            models.CheckConstraint(condition=Q(point_step__gt=0), name="ruleset_step_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def thresholds(self):
        return rules.Thresholds(
            warning=self.warning_threshold,
            orange=self.orange_threshold,
            red=self.red_threshold,
            first_grade=self.first_grade_min,
            second_grade=self.second_grade_min,
        )

    def record_columns(self):
        """[(column key, label, [items])] in RECORD_COLUMNS order, each column's items in
        catalogue order (prefetch `majors__items` to make this free)."""
        members: dict[str, list[Item]] = {key: [] for key, _ in RECORD_COLUMNS}
        for major in self.majors.all():
            for item in major.items.all():
                members[major.column or item.kind].append(item)
        return [(key, label, members[key]) for key, label in RECORD_COLUMNS]

    def ordered_items(self):
        """Items in the record sheet's order: what the grid, the sheets and the template show."""
        return [item for _, _, items in self.record_columns() for item in items]

    def close_deadline(self, month):
        """The default deadline for closing `month`: the rule set's day of the next month."""
        year, next_month = (self.year, month + 1) if month < 12 else (self.year + 1, 1)
        return datetime.date(year, next_month, self.close_day)

    def rectification_days(self, level):
        return {rules.YELLOW: self.yellow_days, rules.ORANGE: self.orange_days}.get(
            level, self.red_days
        )

    def coefficient(self, grade):
        return (self.coefficient_first, self.coefficient_second, self.coefficient_third)[grade - 1]

    def subsidy(self, grade):
        return (self.subsidy_first, self.subsidy_second, self.subsidy_third)[grade - 1]


class MajorItem(models.Model):
    """大项: groups sub-items and places them in a column of the record sheet."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="majors")
    code = models.CharField("编号", max_length=8)
    name = models.CharField("大项名称", max_length=50)
    column = models.CharField("记录表栏目", max_length=16, choices=Column.choices, blank=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "大项"
        verbose_name_plural = "大项"
        ordering = ["rule_set", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="major_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Item(models.Model):
    """小项: what points are recorded against, with its quarterly cap."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="items")
    major = models.ForeignKey(MajorItem, on_delete=models.CASCADE, related_name="items")
    code = models.CharField("编号", max_length=8)
    name = models.CharField("小项名称", max_length=50)
    standard = models.TextField("评分标准", blank=True)
    kind = models.CharField("类别", max_length=16, choices=ItemKind.choices)
    quarterly_cap = points_field(
        "季度上限（分）",
        help_text="扣分项填写最多可扣的分数（正数）。",
        validators=positive("季度上限"),
    )
    veto = models.BooleanField("一票否决", default=False)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "小项"
        verbose_name_plural = "小项"
        ordering = ["rule_set", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="item_code_unique"),
            models.CheckConstraint(condition=Q(quarterly_cap__gte=0), name="item_cap_positive"),
            models.CheckConstraint(
                condition=Q(veto=False) | Q(kind=rules.DEDUCTION), name="item_veto_deduction_only"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def label(self):
        return f"{self.code} {self.name}"

    @property
    def is_deduction(self):
        return self.kind == ItemKind.DEDUCTION

    def peak_quarter_usage(self):
        return self.entries.peak_quarter(deduction=self.is_deduction)


class PointEntry(models.Model):
    """The points an organization earned for one item in one month. A cleared cell keeps its
    row with no points, so its version keeps counting and history stays continuous."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="entries")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    points = points_field("分值", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("修改时间")
    version = models.PositiveIntegerField("版本", default=1)

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True),
        excluded_fields=["updated_by", "updated_at"],
    )
    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "month", "item"], name="entry_one_per_cell"
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="entry_month"),
        ]
        indexes = [models.Index(fields=["year", "month"], name="entry_period")]

    def __str__(self):
        return f"{self.organization_id} {self.year}-{self.month} {self.item_id}: {self.points}"


class Scorecard(models.Model):
    """One organization's year as the rules see it: the four quarter totals with their entry
    counts and warning levels, bonus, deductions, vetoes and the annual total. Kept current in
    the same transaction as every write to its points (and to thresholds), so that warnings and
    grading read one row per organization instead of every entry. An organization without a row
    has recorded nothing that year."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="scorecards"
    )
    # The organization's zone, kept on the row (services.scorecards writes it, a zone move
    # carries it along): the zone's stamp (orgs.stamps) and refresh_levels read a zone's cards
    # as one index range instead of one index probe per organization, which at province scale
    # cost twice as much.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    q1 = points_field(default=0)
    q2 = points_field(default=0)
    q3 = points_field(default=0)
    q4 = points_field(default=0)
    e1 = models.PositiveSmallIntegerField(default=0)
    e2 = models.PositiveSmallIntegerField(default=0)
    e3 = models.PositiveSmallIntegerField(default=0)
    e4 = models.PositiveSmallIntegerField(default=0)
    l1 = models.PositiveSmallIntegerField(default=0)
    l2 = models.PositiveSmallIntegerField(default=0)
    l3 = models.PositiveSmallIntegerField(default=0)
    l4 = models.PositiveSmallIntegerField(default=0)
    bonus = points_field(default=0)
    deduction = points_field(default=0)
    total = points_field(default=0)
    vetoes = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="scorecard_one_per_year"),
        ]
        indexes = [
            models.Index(fields=["organization", "year"], name="scorecard_org_year"),
            models.Index(fields=["zone", "year"], name="scorecard_zone_year"),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.year}: {self.total}"

    def quarter(self, number):
        return getattr(self, f"q{number}")


class Period(models.Model):
    """A zone's month. A month with no row is open."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    closed = models.BooleanField("已关账", default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)
    reason = models.TextField("重新开放原因", blank=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zone", "year", "month"], name="period_unique")
        ]

    def __str__(self):
        return f"{self.year}年{self.month}月{'（已关账）' if self.closed else ''}"


class ImportBatch(models.Model):
    """An uploaded month template waiting for the user's confirmation after the preview. Kept
    in the database so that any app instance can finish it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.filename} → {self.year}年{self.month}月"


class Level(models.IntegerChoices):
    YELLOW = rules.YELLOW, "一级（黄色）"
    ORANGE = rules.ORANGE, "二级（橙色）"
    RED = rules.RED, "三级（红色）"


class Notice(models.Model):
    """预警通报: a zone's published warnings of a quarter. Publishing freezes the quarter."""

    zone = models.ForeignKey(
        Zone, verbose_name="开发区", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    # Official documents are numbered within the year they are issued: the Q4 notice that
    # goes out in January is the first of the new year.
    number_year = models.PositiveSmallIntegerField("文号年度")
    number = models.PositiveSmallIntegerField("文号")
    title = models.CharField("标题", max_length=120)
    text = models.TextField("正文")
    published_on = models.DateField("发布日期")
    scored_count = models.PositiveIntegerField("参评组织数", default=0)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = "预警通报"
        verbose_name_plural = "预警通报"
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "year", "quarter"], name="notice_one_per_quarter"
            ),
            # Each zone's office numbers its own documents.
            models.UniqueConstraint(
                fields=["zone", "number_year", "number"], name="notice_number_unique"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return f"〔{self.number_year}〕第{self.number}号"


class Warning(models.Model):
    """One warned organization in a published notice, frozen as published."""

    organization_lookup = "organization"  # orgs.access scopes warnings by it

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="warnings")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("预警等级", choices=Level.choices)
    total = points_field("季度得分")
    previous_total = points_field("上季度得分", null=True)
    before_previous_total = points_field("前两季度得分", null=True)
    had_entries = models.BooleanField("本季度有记录", default=True)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-level", "total", "organization__path"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "organization"], name="warning_once"),
        ]

    def __str__(self):
        return f"{self.organization} {self.get_level_display()}"


class Status(models.TextChoices):
    OPEN = "open", "待提交"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已销号"


class RectificationQuerySet(models.QuerySet):
    def overdue(self, today):
        return self.filter(status__in=[Status.OPEN, Status.RETURNED], deadline__lt=today)

    def pending(self):
        return self.exclude(status=Status.ACCEPTED)


def attachment_path(rectification, filename):
    return f"rectifications/{rectification.warning.notice.year}/{uuid.uuid4().hex}"


class Rectification(models.Model):
    """整改: the task a published warning opens for its organization (以查促改)."""

    organization_lookup = "warning__organization"  # orgs.access scopes tasks by it

    warning = models.OneToOneField(Warning, on_delete=models.CASCADE, related_name="rectification")
    deadline = models.DateField("整改期限")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    report = models.TextField("整改措施和成效", blank=True)
    attachment = models.FileField("附件", upload_to=attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField("附件名称", max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    comment = models.TextField("审核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), excluded_fields=["attachment"]
    )
    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = "整改"
        verbose_name_plural = "整改"
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_due")]

    def __str__(self):
        return f"{self.warning} 整改"

    def is_overdue(self, today):
        return self.status in (Status.OPEN, Status.RETURNED) and self.deadline < today


class Grade(models.IntegerChoices):
    FIRST = rules.FIRST, "一档"
    SECOND = rules.SECOND, "二档"
    THIRD = rules.THIRD, "三档"


class YearState(models.Model):
    """A zone's year's grading state: finalized (定级) years cannot change without a reopen
    with a reason; the history keeps who and why."""

    zone = models.ForeignKey(
        Zone, verbose_name="开发区", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    finalized = models.BooleanField("已定级", default=False)
    tiers_confirmed = models.BooleanField("下年分类已确认", default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = "年度定级"
        verbose_name_plural = "年度定级"
        constraints = [models.UniqueConstraint(fields=["zone", "year"], name="year_state_unique")]

    def __str__(self):
        return f"{self.year} {'已定级' if self.finalized else '未定级'}"


class AnnualResult(models.Model):
    """An organization's year as it stood when its zone finalized the year: the zone that
    graded it, also if the organization moves to another zone later."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    # As they were when the year was finalized: the sheet of a past year keeps its names.
    code = models.CharField("组织编码", max_length=20)
    name = models.CharField("组织名称", max_length=100)
    committee = models.CharField("所属党委", max_length=100, blank=True)
    sector = models.CharField("类型", max_length=16)
    tier = models.CharField("本年类别", max_length=1, blank=True)
    q1 = points_field("第一季度")
    q2 = points_field("第二季度")
    q3 = points_field("第三季度")
    q4 = points_field("第四季度")
    bonus = points_field("加分")
    deduction = points_field("扣分")
    total = points_field("年度总分")
    rank = models.PositiveIntegerField("排名")
    sector_rank = models.PositiveIntegerField("类型内排名")
    warnings = models.PositiveSmallIntegerField("预警次数")
    vetoed = models.BooleanField("一票否决", default=False)
    grade = models.PositiveSmallIntegerField("等次", choices=Grade.choices)
    proposed_tier = models.CharField("建议下年类别", max_length=1)
    coefficient = models.DecimalField("绩效系数", null=True, max_digits=4, decimal_places=2)
    subsidy = money_field("奖补金额", null=True)
    note = models.CharField("备注", max_length=200, blank=True)
    override_tier = models.CharField("调整后类别", max_length=1, blank=True)
    override_reason = models.TextField("调整原因", blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "年度结果"
        verbose_name_plural = "年度结果"
        ordering = ["year", "rank", "organization_id"]
        indexes = [
            models.Index(
                fields=["zone", "year", "rank", "organization"], name="annual_result_by_rank"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="annual_result_once"),
            models.CheckConstraint(
                condition=Q(override_tier="") | ~Q(override_reason=""),
                name="annual_override_needs_reason",
            ),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.year} {self.get_grade_display()}"

    @property
    def next_tier(self):
        return self.override_tier or self.proposed_tier
