"""The zone's guidance station (党建工作指导站): its instructors in groups and batches, their
visits with the problems raised and solved, the monthly task list, the weekly meeting, the
decisions of its branch, the AB duty roster with attendance, and the instructors' yearly
"积分+等级" (a small rule set, weekly work records certified in three steps)."""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orgs.models import CoveredUnit, Organization, Zone


def points_field(verbose_name: str, **options: Any) -> models.DecimalField:
    """Points in tenths, up to 99,999.9."""
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=1, **options)


class Station(models.Model):
    """党建工作指导站: one per zone, led by its head (站长) under its own party branch, whose
    secretary certifies the instructors' points."""

    zone = models.OneToOneField(
        Zone, on_delete=models.PROTECT, related_name="station", verbose_name="所属开发区"
    )
    name = models.CharField("名称", max_length=60)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="站长",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch_name = models.CharField("站党支部", max_length=60, default="指导站党支部")
    branch_secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="站党支部书记",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="代表站党支部认定指导员积分。",
    )

    class Meta:
        verbose_name = "党建工作指导站"
        verbose_name_plural = "党建工作指导站"

    def __str__(self):
        return self.name


class Group(models.Model):
    """指导组: instructors who visit together and take turns on the roster."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField("组名", max_length=30)
    order = models.PositiveSmallIntegerField("排序", default=0)
    leader = models.ForeignKey(
        "Instructor",
        verbose_name="组长",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="负责本组工作周记录的小组统计。",
    )

    class Meta:
        verbose_name = "指导组"
        verbose_name_plural = "指导组"
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "name"],
                name="guidance_group_name_unique",
                violation_error_message="本站已有同名的指导组。",
            )
        ]

    def __str__(self):
        return self.name


class Batch(models.Model):
    """选派批次 (第五批…): when a batch of instructors arrived and when it leaves."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="batches")
    name = models.CharField("批次", max_length=30)
    starts_on = models.DateField("入驻日期")
    ends_on = models.DateField("期满日期", null=True, blank=True)

    class Meta:
        verbose_name = "选派批次"
        verbose_name_plural = "选派批次"
        ordering = ["-starts_on", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "期满日期不能早于入驻日期。"})


class Origin(models.TextChoices):
    PROVINCE = "province", "省派"
    CITY = "city", "市派"
    DISTRICT = "district", "区派"


class Employment(models.TextChoices):
    FULL = "full", "专职"
    PART = "part", "兼职"


class InstructorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Instructor(models.Model):
    """党建指导员: who they are, where they were sent from, which group and batch, and the
    organizations and covered units they guide (what their account may read)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="instructors")
    name = models.CharField("姓名", max_length=30)
    origin = models.CharField("选派来源", max_length=16, choices=Origin.choices)
    employment = models.CharField("专兼职", max_length=8, choices=Employment.choices)
    group = models.ForeignKey(
        Group,
        verbose_name="指导组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    batch = models.ForeignKey(
        Batch, verbose_name="批次", on_delete=models.PROTECT, related_name="instructors"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instructor",
        help_text="角色为“党建指导员”的账号：登录后可查看所联系的党组织。",
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    organizations: "models.ManyToManyField[Organization, Any]" = models.ManyToManyField(
        Organization, verbose_name="联系党组织", blank=True, related_name="instructors"
    )
    covered_units: "models.ManyToManyField[CoveredUnit, Any]" = models.ManyToManyField(
        CoveredUnit, verbose_name="联系覆盖单位", blank=True, related_name="instructors"
    )
    is_active = models.BooleanField("在岗", default=True)

    objects = InstructorQuerySet.as_manager()

    class Meta:
        verbose_name = "党建指导员"
        verbose_name_plural = "党建指导员"
        ordering = ["group__order", "group", "pk"]

    def __str__(self):
        return self.name


class Founding(models.TextChoices):
    NONE = "", "未组建"
    SINGLE = "single", "单独组建"
    JOINT = "joint", "联合组建"


class VisitQuerySet(models.QuerySet):
    def between(self, start, end):
        return self.filter(visited_on__gte=start, visited_on__lte=end)


class Visit(models.Model):
    """走访: one visit to an organization, a covered unit, or an enterprise not yet covered."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField("走访日期")
    instructors: "models.ManyToManyField[Instructor, Any]" = models.ManyToManyField(
        Instructor, verbose_name="指导员", related_name="visits"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name="党组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    covered_unit = models.ForeignKey(
        CoveredUnit,
        verbose_name="覆盖单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    enterprise_name = models.CharField(
        "未覆盖企业名称", max_length=100, blank=True, help_text="尚未建立党组织的企业。"
    )
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        blank=True,
        validators=CoveredUnit._meta.get_field("credit_code").validators,
    )
    new_economy = models.BooleanField("新业态新就业群体", default=False)
    purpose = models.TextField("走访事由")
    founded = models.CharField(
        "组建党组织", max_length=8, choices=Founding.choices, blank=True, default=""
    )
    mass_founded = models.BooleanField("组建群团组织", default=False)
    notes = models.TextField("走访情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["station", "visited_on"], name="visit_station_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False)
                | Q(covered_unit__isnull=False)
                | ~Q(enterprise_name=""),
                name="visit_has_a_place",
            )
        ]

    def __str__(self):
        return f"{self.visited_on} {self.place}"

    @property
    def place(self):
        """Whom the visit was to, by the most specific name known."""
        if self.covered_unit is not None:
            return self.covered_unit.name
        if self.organization is not None:
            return self.organization.name
        return self.enterprise_name


class ProblemState(models.TextChoices):
    OPEN = "open", "待办"
    HELPING = "helping", "帮办中"
    SOLVED = "solved", "已解决"
    UNSOLVABLE = "unsolvable", "无法解决"


CLOSED_STATES = (ProblemState.SOLVED, ProblemState.UNSOLVABLE)
# The moves a problem may make: open → 帮办中 → 已解决 / 无法解决 (an open one may also be
# closed at once).
NEXT_STATES = {
    ProblemState.OPEN: (ProblemState.HELPING, ProblemState.SOLVED, ProblemState.UNSOLVABLE),
    ProblemState.HELPING: (ProblemState.SOLVED, ProblemState.UNSOLVABLE),
    ProblemState.SOLVED: (),
    ProblemState.UNSOLVABLE: (),
}


class Problem(models.Model):
    """企业问题和需求 raised on a visit, owned by an instructor until it is closed."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems")
    text = models.TextField("问题或需求")
    owner = models.ForeignKey(
        Instructor, verbose_name="责任人", on_delete=models.PROTECT, related_name="problems"
    )
    state = models.CharField(
        "状态", max_length=12, choices=ProblemState.choices, default=ProblemState.OPEN
    )
    raised_on = models.DateField("提出日期")
    helping_on = models.DateField("开始帮办", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    note = models.TextField("办理情况", blank=True)

    class Meta:
        verbose_name = "问题和需求"
        verbose_name_plural = "问题和需求"
        ordering = ["-raised_on", "-pk"]

    def __str__(self):
        return self.text[:30]

    @property
    def next_states(self):
        return NEXT_STATES[ProblemState(self.state)]


class ProblemStep(models.Model):
    """One change of a problem's state: when, by whom, with what note."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField("状态", max_length=12, choices=ProblemState.choices)
    on = models.DateField("日期")
    note = models.TextField("说明", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.on} {self.get_state_display()}"


class TaskList(models.Model):
    """清单调度制: the month's task list the zone office issues to the station at the start of
    the month, closed at its end with feedback on every task."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="task_lists")
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        "月份", validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "year", "month"],
                name="guidance_one_task_list_a_month",
                violation_error_message="本月的任务清单已经下达。",
            )
        ]

    def __str__(self):
        return f"{self.year}年{self.month}月任务清单"

    @property
    def is_closed(self):
        return self.closed_at is not None


class Feedback(models.TextChoices):
    DONE = "done", "完成"
    PARTLY = "partly", "部分完成"
    NOT_DONE = "not_done", "未完成"


class Task(models.Model):
    """One task of a month's list, claimed by an instructor or a group."""

    task_list = models.ForeignKey(TaskList, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField("任务", max_length=200)
    claimed_by = models.ForeignKey(
        Instructor,
        verbose_name="认领指导员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    claimed_group = models.ForeignKey(
        Group,
        verbose_name="认领小组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    feedback = models.CharField(
        "月末反馈", max_length=10, choices=Feedback.choices, blank=True, default=""
    )
    feedback_note = models.TextField("反馈说明", blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title

    @property
    def claimant(self):
        return self.claimed_by or self.claimed_group


class Meeting(models.Model):
    """周一例会: who attended, each group's report of last week, this week's tasks."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("会议日期")
    attendees: "models.ManyToManyField[Instructor, Any]" = models.ManyToManyField(
        Instructor, verbose_name="参会指导员", blank=True
    )
    guests = models.CharField("党委办公室参会人员", max_length=200, blank=True)
    this_week = models.TextField("本周重点任务")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.held_on} 例会"


class MeetingReport(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reports")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    text = models.TextField("上周工作汇报")

    class Meta:
        ordering = ["group__order", "group"]

    def __str__(self):
        return f"{self.group} {self.meeting}"


class Decision(models.Model):
    """站长负责制: a major matter the station's branch decided, as recorded."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="decisions")
    decided_on = models.DateField("日期")
    matter = models.CharField("事项", max_length=200)
    decision = models.TextField("决定")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return self.matter


class Post(models.TextChoices):
    A = "A", "A岗（驻站值守）"
    B = "B", "B岗（走访指导）"


class Duty(models.Model):
    """One group's post on one working day of the AB roster."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="duties")
    day = models.DateField("日期")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="duties")
    post = models.CharField("岗位", max_length=1, choices=Post.choices)

    class Meta:
        ordering = ["day", "post", "group__order"]
        constraints = [
            models.UniqueConstraint(fields=["station", "day", "group"], name="duty_one_post_a_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.group} {self.post}"


class Presence(models.TextChoices):
    PRESENT = "present", "出勤"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺勤"


class Attendance(models.Model):
    """Who was where on a roster day: recorded against the instructor's group's post."""

    instructor = models.ForeignKey(Instructor, on_delete=models.CASCADE, related_name="attendance")
    day = models.DateField("日期")
    presence = models.CharField("出勤", max_length=8, choices=Presence.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instructor", "day"], name="attendance_one_a_day"),
        ]

    def __str__(self):
        return f"{self.instructor} {self.day} {self.get_presence_display()}"


class Source(models.TextChoices):
    """Where an item's counts come from: typed in, or proposed from the station's records."""

    MANUAL = "manual", "手工填写"
    VISITS = "visits", "走访记录"
    SOLVED = "solved", "已解决问题"
    FOUNDED = "founded", "组建党组织"
    ATTENDANCE = "attendance", "AB岗出勤"
    BRIEFING = "briefing", "工作简报（手工填写）"
    EXPERIENCE = "experience", "典型经验（手工填写）"


# Sources whose counts the instructor types in (the others are proposed from the records).
TYPED_SOURCES = (Source.MANUAL, Source.BRIEFING, Source.EXPERIENCE)


class InstructorRuleSet(models.Model):
    """指导员积分考核细则 for one year: the point items and the grade cut-offs."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="rule_sets")
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    excellent = points_field("优秀分数线", default=Decimal(90))
    good = points_field("良好分数线", default=Decimal(75))
    passing = points_field("合格分数线", default=Decimal(60))

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "year"],
                name="guidance_one_rule_set_a_year",
                violation_error_message="该年度的指导员考核细则已经存在。",
            ),
            models.CheckConstraint(
                condition=Q(excellent__gt=models.F("good"), good__gt=models.F("passing")),
                name="guidance_cutoffs_descending",
                violation_error_message="分数线应为 优秀 > 良好 > 合格。",
            ),
        ]

    def __str__(self):
        return f"{self.year}年度指导员考核细则"

    @property
    def cutoffs(self):
        return (self.excellent, self.good, self.passing)


class InstructorItem(models.Model):
    rule_set = models.ForeignKey(InstructorRuleSet, on_delete=models.CASCADE, related_name="items")
    code = models.CharField("编号", max_length=8)
    name = models.CharField("考核项目", max_length=60)
    unit = models.CharField("计量单位", max_length=8, default="次")
    points = points_field("每次分值", validators=[MinValueValidator(Decimal("0.1"))])
    yearly_cap = points_field("年度上限", validators=[MinValueValidator(Decimal("0.1"))])
    source = models.CharField(
        "数据来源", max_length=12, choices=Source.choices, default=Source.MANUAL
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="guidance_item_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class RecordState(models.TextChoices):
    DRAFT = "draft", "填写中"
    SUBMITTED = "submitted", "待小组统计"
    TALLIED = "tallied", "待站内核实"
    VERIFIED = "verified", "待党支部认定"
    CERTIFIED = "certified", "已认定"


class WeekRecord(models.Model):
    """工作周记录表: one instructor's week of point items, tallied by the group leader (小组统计),
    verified by the station (站内核实) and certified by its branch (党支部认定)."""

    instructor = models.ForeignKey(Instructor, on_delete=models.CASCADE, related_name="weeks")
    week = models.DateField("周一日期")
    state = models.CharField(
        "状态", max_length=10, choices=RecordState.choices, default=RecordState.DRAFT
    )
    summary = models.TextField("本周工作", blank=True)
    returned_comment = models.TextField("退回意见", blank=True)

    class Meta:
        ordering = ["-week", "instructor"]
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "week"], name="guidance_one_record_a_week"
            ),
        ]

    def __str__(self):
        return f"{self.instructor} {self.week}"

    @property
    def week_end(self):
        return self.week + datetime.timedelta(days=6)


class RecordLine(models.Model):
    record = models.ForeignKey(WeekRecord, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(InstructorItem, on_delete=models.PROTECT, related_name="lines")
    count = models.PositiveSmallIntegerField("次数", validators=[MaxValueValidator(100)])
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["item__code"]
        constraints = [
            models.UniqueConstraint(fields=["record", "item"], name="guidance_line_once"),
        ]

    def __str__(self):
        return f"{self.item} × {self.count}"

    @property
    def worth(self):
        """The line's points: the item's points per unit times the count."""
        return self.item.points * self.count


class StepAction(models.TextChoices):
    SUBMIT = "submit", "提交"
    TALLY = "tally", "小组统计"
    VERIFY = "verify", "站内核实"
    CERTIFY = "certify", "党支部认定"
    RETURN = "return", "退回"


class RecordStep(models.Model):
    """Each step of a week record: who, when, and a comment when it was returned."""

    record = models.ForeignKey(WeekRecord, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=8, choices=StepAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField("意见", blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.record} {self.get_action_display()}"
