"""The station's writes. Each is keyword-only and one transaction; a refusal raises `Refused`
with a Chinese message naming what is wrong, and nothing is saved."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orgs.models import Role, User

from . import rules
from .models import (
    CLOSED_STATES,
    Attendance,
    Decision,
    Duty,
    Feedback,
    Group,
    Instructor,
    InstructorItem,
    InstructorRuleSet,
    Meeting,
    MeetingReport,
    Post,
    Presence,
    Problem,
    ProblemState,
    ProblemStep,
    RecordLine,
    RecordState,
    RecordStep,
    Source,
    Station,
    StepAction,
    Task,
    TaskList,
    Visit,
    WeekRecord,
)


class Refused(Exception):
    """A write the rules do not allow; the message says why, in Chinese."""


# --- visits and problems ----------------------------------------------------------------


@dataclass
class NewProblem:
    text: str
    owner: Instructor


@transaction.atomic
def record_visit(
    *,
    visit: Visit,
    instructors: Sequence[Instructor],
    problems: Sequence[NewProblem],
    user: User | None,
) -> Visit:
    """Save a visit (new or edited) with its instructors and the new problems it raised."""
    if not instructors:
        raise Refused("请至少选择一名走访的指导员。")
    if (
        user is not None
        and user.role == Role.INSTRUCTOR
        and user.pk not in {i.user_id for i in instructors}
    ):
        # Instructors enter their own visits; the office enters anyone's.
        raise Refused("指导员只能录入自己参加的走访，请在走访指导员中勾选您本人。")
    if visit.visited_on > timezone.localdate():
        raise Refused("走访日期不能晚于今天。")
    stations = {i.station_id for i in instructors} | {p.owner.station_id for p in problems}
    if stations != {visit.station_id}:
        raise Refused("指导员不属于本指导站。")
    if visit.pk is None:
        visit.recorded_by, visit.recorded_at = user, timezone.now()
    visit.save()
    visit.instructors.set(instructors)
    for new in problems:
        problem = Problem.objects.create(
            visit=visit, text=new.text, owner=new.owner, raised_on=visit.visited_on
        )
        ProblemStep.objects.create(
            problem=problem,
            state=ProblemState.OPEN,
            on=visit.visited_on,
            by=user,
            at=timezone.now(),
        )
    return visit


@transaction.atomic
def move_problem(
    *, problem: Problem, state: str, on: datetime.date, note: str, user: User
) -> Problem:
    """open → 帮办中 → 已解决 / 无法解决, each move dated, with a note (required to close)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if state not in problem.next_states:
        raise Refused(
            f"问题当前为“{problem.get_state_display()}”，不能改为“{ProblemState(state).label}”。"
        )
    if on < problem.raised_on:
        raise Refused("日期不能早于问题提出的日期。")
    if on > timezone.localdate():
        raise Refused("日期不能晚于今天。")
    note = note.strip()
    if state in CLOSED_STATES and not note:
        raise Refused("办结时请填写办理情况。")
    problem.state = state
    if state == ProblemState.HELPING:
        problem.helping_on = on
    else:
        problem.closed_on = on
    if note:
        problem.note = note
    problem.save()
    ProblemStep.objects.create(
        problem=problem, state=state, on=on, note=note, by=user, at=timezone.now()
    )
    return problem


# --- the monthly task list, the weekly meeting, the decisions log --------------------------


@transaction.atomic
def issue_task_list(
    *, station: Station, year: int, month: int, titles: Iterable[str], user: User
) -> TaskList:
    titles = [t.strip() for t in titles if t.strip()]
    if not titles:
        raise Refused("任务清单至少要有一项任务。")
    if TaskList.objects.filter(station=station, year=year, month=month).exists():
        raise Refused(f"{year}年{month}月的任务清单已经下达。")
    task_list = TaskList.objects.create(
        station=station, year=year, month=month, issued_by=user, issued_at=timezone.now()
    )
    Task.objects.bulk_create(Task(task_list=task_list, title=t[:200]) for t in titles)
    return task_list


@transaction.atomic
def claim_task(*, task: Task, instructor: Instructor, as_group: bool) -> Task:
    """An instructor claims a task for themselves, or for their group."""
    task = Task.objects.select_for_update(of=("self",)).select_related("task_list").get(pk=task.pk)
    if task.task_list.is_closed:
        raise Refused("该月任务清单已经反馈办结，不能再认领。")
    if task.claimant is not None:
        raise Refused(f"该任务已由{task.claimant}认领。")
    if as_group:
        if instructor.group_id is None:
            raise Refused("您还没有分到指导组，只能以个人名义认领。")
        task.claimed_group_id = instructor.group_id
    else:
        task.claimed_by = instructor
    task.save()
    return task


@transaction.atomic
def close_task_list(
    *, task_list: TaskList, feedback: Mapping[int, tuple[str, str]], user: User
) -> TaskList:
    """Month end: every task gets its feedback (完成 / 部分完成 / 未完成, with a note for the
    last two), then the list is closed."""
    task_list = TaskList.objects.select_for_update().get(pk=task_list.pk)
    if task_list.is_closed:
        raise Refused("该月任务清单已经反馈办结。")
    tasks = list(task_list.tasks.all())
    missing = [t.title for t in tasks if feedback.get(t.pk, ("", ""))[0] not in Feedback.values]
    if missing:
        raise Refused("以下任务还没有反馈：" + "、".join(missing))
    unexplained = [
        t.title
        for t in tasks
        if feedback[t.pk][0] != Feedback.DONE and not feedback[t.pk][1].strip()
    ]
    if unexplained:
        raise Refused("未全部完成的任务请说明原因：" + "、".join(unexplained))
    for task in tasks:
        task.feedback, note = feedback[task.pk]
        task.feedback_note = note.strip()
    Task.objects.bulk_update(tasks, ["feedback", "feedback_note"])
    task_list.closed_at, task_list.closed_by = timezone.now(), user
    task_list.save()
    return task_list


@transaction.atomic
def record_meeting(
    *,
    station: Station,
    held_on: datetime.date,
    attendees: Iterable[Instructor],
    guests: str,
    reports: Mapping[Group, str],
    this_week: str,
    user: User,
) -> Meeting:
    meeting = Meeting.objects.create(
        station=station, held_on=held_on, guests=guests, this_week=this_week, recorded_by=user
    )
    meeting.attendees.set(attendees)
    MeetingReport.objects.bulk_create(
        MeetingReport(meeting=meeting, group=group, text=text.strip())
        for group, text in reports.items()
        if text.strip()
    )
    return meeting


def record_decision(
    *, station: Station, decided_on: datetime.date, matter: str, decision: str, user: User
) -> Decision:
    return Decision.objects.create(
        station=station, decided_on=decided_on, matter=matter, decision=decision, recorded_by=user
    )


# --- the AB roster and attendance ---------------------------------------------------------


@transaction.atomic
def plan_week(
    *, station: Station, monday: datetime.date, days: Sequence[tuple[Group, Sequence[Group]]]
) -> None:
    """The week's roster: for each working day one group on A, two on B. Replaces the week."""
    if monday.weekday() != 0:
        raise Refused("排班按周进行，请从周一开始。")
    dates = rules.working_days(monday)
    if len(days) != len(dates):
        raise Refused("请为周一至周五每天排班。")
    for day, (a, b) in zip(dates, days, strict=True):
        if not rules.is_valid_day([a.pk], [g.pk for g in b]):
            raise Refused(f"{day:%m月%d日}：每天 1 个小组 A 岗、另 2 个小组 B 岗，不能重复。")
        if any(g.station_id != station.pk for g in (a, *b)):
            raise Refused("指导组不属于本指导站。")
    Duty.objects.filter(station=station, day__in=dates).delete()
    Duty.objects.bulk_create(
        Duty(station=station, day=day, group=group, post=post)
        for day, (a, b) in zip(dates, days, strict=True)
        for group, post in [(a, Post.A), *((g, Post.B) for g in b)]
    )


@transaction.atomic
def record_attendance(
    *,
    station: Station,
    marks: Mapping[tuple[int, datetime.date], str],
    user: User,
) -> int:
    """{(instructor id, day): presence} for days the instructor's group is on the roster;
    returns how many were recorded."""
    if any(p not in Presence.values for p in marks.values()):
        raise Refused("出勤情况只能是出勤、请假或缺勤。")
    days = {day for _, day in marks}
    if any(day > timezone.localdate() for day in days):
        raise Refused("不能登记今天以后的出勤。")
    rostered = set(
        Duty.objects.filter(station=station, day__in=days).values_list("group_id", "day")
    )
    groups = dict(
        Instructor.objects.filter(station=station, pk__in={i for i, _ in marks}).values_list(
            "pk", "group_id"
        )
    )
    for instructor_id, day in marks:
        if (groups.get(instructor_id), day) not in rostered:
            raise Refused(f"{day:%m月%d日}该指导员所在小组没有排班。")
    for (instructor_id, day), presence in marks.items():
        Attendance.objects.update_or_create(
            instructor_id=instructor_id,
            day=day,
            defaults={"presence": presence, "recorded_by": user},
        )
    return len(marks)


# --- the instructors' rule set and weekly records ------------------------------------------

DEFAULT_ITEMS: list[tuple[str, str, str, Decimal, Decimal, str]] = [
    ("1", "走访企业", "家次", Decimal("1.0"), Decimal("30"), Source.VISITS),
    ("2", "帮办解决问题", "个", Decimal("2.0"), Decimal("20"), Source.SOLVED),
    ("3", "组建党组织", "个", Decimal("3.0"), Decimal("15"), Source.FOUNDED),
    ("4", "编写工作简报", "期", Decimal("1.0"), Decimal("10"), Source.BRIEFING),
    ("5", "总结典型经验", "个", Decimal("3.0"), Decimal("9"), Source.EXPERIENCE),
    ("6", "AB岗出勤", "天", Decimal("0.1"), Decimal("20"), Source.ATTENDANCE),
]


@transaction.atomic
def create_rule_set(*, station: Station, year: int) -> InstructorRuleSet:
    """A year's instructor rule set: a copy of the latest earlier year's, or the default
    catalogue (items 走访企业 … AB岗出勤, 优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60)."""
    if InstructorRuleSet.objects.filter(station=station, year=year).exists():
        raise Refused(f"{year} 年度的指导员考核细则已经存在。")
    previous = InstructorRuleSet.objects.filter(station=station, year__lt=year).first()
    rule_set = InstructorRuleSet.objects.create(station=station, year=year)
    if previous is not None:
        rule_set.excellent, rule_set.good, rule_set.passing = previous.cutoffs
        rule_set.save()
        rows = [
            (i.code, i.name, i.unit, i.points, i.yearly_cap, i.source) for i in previous.items.all()
        ]
    else:
        rows = DEFAULT_ITEMS
    InstructorItem.objects.bulk_create(
        InstructorItem(
            rule_set=rule_set, code=c, name=n, unit=u, points=p, yearly_cap=cap, source=s
        )
        for c, n, u, p, cap, s in rows
    )
    return rule_set


def proposed_counts(instructor: Instructor, monday: datetime.date) -> dict[str, int]:
    """{source: count} of the instructor's week as the station's records have it: visits
    made, problems they own solved, parties founded on their visits, days present."""
    end = monday + datetime.timedelta(days=6)
    visits = instructor.visits.between(monday, end)
    counted = visits.aggregate(
        visits=Count("pk", distinct=True),
        founded=Count("pk", filter=~Q(founded=""), distinct=True),
    )
    return {
        Source.VISITS: counted["visits"],
        Source.FOUNDED: counted["founded"],
        Source.SOLVED: instructor.problems.filter(
            state=ProblemState.SOLVED, closed_on__range=(monday, end)
        ).count(),
        Source.ATTENDANCE: instructor.attendance.filter(
            presence=Presence.PRESENT, day__range=(monday, end)
        ).count(),
    }


@transaction.atomic
def start_week(*, instructor: Instructor, monday: datetime.date) -> WeekRecord:
    """The instructor's record of a week, its counts proposed from the records so that
    nobody types them twice (they may still be corrected before submitting)."""
    if monday.weekday() != 0:
        raise Refused("工作周记录按周填写，请选择周一。")
    if monday > timezone.localdate():
        raise Refused("不能填写今天以后的周记录。")
    rule_set = InstructorRuleSet.objects.filter(
        station=instructor.station_id, year=monday.year
    ).first()
    if rule_set is None:
        raise Refused(f"{monday.year} 年度还没有指导员考核细则，请联系党建办。")
    record, created = WeekRecord.objects.get_or_create(instructor=instructor, week=monday)
    if created:
        _propose(record, rule_set)
    return record


def _propose(record: WeekRecord, rule_set: InstructorRuleSet) -> None:
    """The lines of the items counted from the records, as the records stand now."""
    proposed = proposed_counts(record.instructor, record.week)
    counted = [item for item in rule_set.items.all() if item.source in proposed]
    RecordLine.objects.filter(record=record, item__in=counted).delete()
    RecordLine.objects.bulk_create(
        RecordLine(record=record, item=item, count=proposed[item.source], note="据系统记录")
        for item in counted
        if proposed[item.source]
    )


@transaction.atomic
def refresh_week(*, record: WeekRecord) -> WeekRecord:
    """Visits, solved problems and days present entered after the week was started: their
    lines are counted again from the records; the typed ones stay."""
    record = (
        WeekRecord.objects.select_for_update(of=("self",))
        .select_related("instructor")
        .get(pk=record.pk)
    )
    if record.state != RecordState.DRAFT:
        raise Refused("该周记录已经提交，不能再修改（退回后可修改）。")
    rule_set = InstructorRuleSet.objects.get(
        station=record.instructor.station_id, year=record.week.year
    )
    _propose(record, rule_set)
    return record


@transaction.atomic
def save_week(
    *, record: WeekRecord, counts: Mapping[InstructorItem, tuple[int, str]], summary: str
) -> WeekRecord:
    """The instructor's own lines of a week still being filled in."""
    record = WeekRecord.objects.select_for_update().get(pk=record.pk)
    if record.state != RecordState.DRAFT:
        raise Refused("该周记录已经提交，不能再修改（退回后可修改）。")
    if any(item.rule_set.year != record.week.year for item in counts):
        raise Refused("考核项目不属于该年度的考核细则。")
    record.summary = summary
    record.save()
    record.lines.all().delete()
    RecordLine.objects.bulk_create(
        RecordLine(record=record, item=item, count=count, note=note)
        for item, (count, note) in counts.items()
        if count
    )
    return record


# Which step follows which state, and who may take it.
STEPS = {
    RecordState.DRAFT: (StepAction.SUBMIT, RecordState.SUBMITTED),
    RecordState.SUBMITTED: (StepAction.TALLY, RecordState.TALLIED),
    RecordState.TALLIED: (StepAction.VERIFY, RecordState.VERIFIED),
    RecordState.VERIFIED: (StepAction.CERTIFY, RecordState.CERTIFIED),
}


def may_take_step(user: User, record: WeekRecord) -> bool:
    """The instructor submits, their group leader tallies, the station head verifies, the
    branch secretary certifies (the one who may take a step may also return it)."""
    instructor = record.instructor
    station = instructor.station
    state = RecordState(record.state)
    if state == RecordState.DRAFT:
        return instructor.user_id == user.pk
    if state == RecordState.SUBMITTED:
        leader = instructor.group.leader if instructor.group is not None else None
        return leader is not None and leader.user_id == user.pk
    if state == RecordState.TALLIED:
        return station.head_id == user.pk
    if state == RecordState.VERIFIED:
        return station.branch_secretary_id == user.pk
    return False


def steppable() -> QuerySet[WeekRecord]:
    """Week records locked for a step, with whom the step depends on. Only the record's row is
    locked: PostgreSQL refuses FOR UPDATE over the outer join to an instructor's group, which
    may be none (every submission answered 500 there; the input probe found it)."""
    return WeekRecord.objects.select_for_update(of=("self",)).select_related(
        "instructor__station", "instructor__group__leader"
    )


@transaction.atomic
def take_step(*, record: WeekRecord, user: User, action: str, comment: str = "") -> WeekRecord:
    record = steppable().get(pk=record.pk)
    state = RecordState(record.state)
    if state == RecordState.CERTIFIED:
        raise Refused("该周记录已经认定。")
    if not may_take_step(user, record):
        raise Refused(f"该周记录{record.get_state_display()}，不是您这一步。")
    comment = comment.strip()
    if action == StepAction.RETURN:
        if state == RecordState.DRAFT:
            raise Refused("填写中的记录不能退回。")
        if not comment:
            raise Refused("退回时请填写退回意见。")
        record.state, record.returned_comment = RecordState.DRAFT, comment
    elif action == STEPS[state][0]:
        record.state = STEPS[state][1]
        if action == StepAction.SUBMIT:
            record.returned_comment = ""
    else:
        raise Refused("该周记录当前不能进行这一步。")
    record.save()
    RecordStep.objects.create(
        record=record, action=action, by=user, comment=comment, at=timezone.now()
    )
    return record


@transaction.atomic
def save_rule_set(*, form, items) -> InstructorRuleSet:
    """The cut-offs and the items of an instructor rule set, edited together. An item that
    certified records already count cannot be removed."""
    rule_set = form.save()
    for item in items.save(commit=False):
        item.rule_set = rule_set
        item.save()
    for item in items.deleted_objects:
        if item.lines.exists():
            raise Refused(f"“{item.name}”已有周记录使用，不能删除。")
        item.delete()
    return rule_set
