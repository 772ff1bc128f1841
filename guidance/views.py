import datetime
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs import access
from orgs.forms import posted
from scoring import rules as scoring_rules
from scoring.models import Scorecard

from . import queries, rules, scope, services, sheets
from .forms import (
    BatchFormSet,
    DecisionForm,
    FeedbackForm,
    GroupFormSet,
    InstructorForm,
    ItemFormSet,
    MeetingForm,
    PeriodForm,
    ProblemFormSet,
    ProblemMoveForm,
    RosterForm,
    RuleSetForm,
    StationForm,
    TaskListForm,
    VisitForm,
    WeekForm,
    station_formset,
    week_from,
)
from .models import (
    Attendance,
    Decision,
    Duty,
    Group,
    Instructor,
    InstructorRuleSet,
    Post,
    Presence,
    Problem,
    ProblemState,
    RecordState,
    Station,
    StepAction,
    Task,
    TaskList,
    Visit,
    WeekRecord,
)
from .services import Refused


def _refused(request, error):
    messages.error(request, str(error))


# --- the station and its people -----------------------------------------------------------


@access.zone_required
def station_edit(request):
    """The office sets the station up (name, head, branch) or changes it."""
    scope.require_office(request.user)
    station = Station.objects.filter(zone=request.zone).first() or Station(
        zone=request.zone, name=f"{request.zone.name}党建工作指导站"
    )
    form = StationForm(posted(request), instance=station, zone=request.zone)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "指导站信息已保存。")
        return redirect("guidance:overview")
    return render(request, "guidance/station_form.html", {"form": form, "station": station})


@scope.station_page
def overview(request):
    station, today = request.station, timezone.localdate()
    form = PeriodForm(request.GET or None)
    batch = station.batches.first()
    start, end = form.period(batch.starts_on if batch else today.replace(month=1, day=1), today)
    month_start, month_end = rules.month_bounds(today.year, today.month)
    monday = rules.monday_of(today)
    open_tasks = Task.objects.filter(task_list__station=station, task_list__closed_at=None)
    return render(
        request,
        "guidance/overview.html",
        {
            "station": station,
            "form": form,
            "start": start,
            "end": end,
            "figures": queries.station_figures(station, start, end),
            "month": queries.station_figures(station, month_start, month_end),
            "roster": _roster_days(station, monday),
            "monday": monday,
            "open_tasks": open_tasks.select_related("claimed_by", "claimed_group", "task_list"),
            "groups": station.groups.select_related("leader").annotate(n=Count("members")),
            "may_manage": scope.may_manage(request.user, station),
        },
    )


@scope.station_page
def instructors(request):
    station = request.station
    today = timezone.localdate()
    batch = station.batches.first()
    start = batch.starts_on if batch else today.replace(month=1, day=1)
    rows = queries.visits_by_instructor(station, start, today).select_related("batch")
    return render(
        request,
        "guidance/instructors.html",
        {
            "station": station,
            "rows": rows,
            "start": start,
            "groups": queries.visits_by_group(station, start, today),
            "batches": station.batches.all(),
        },
    )


@scope.station_page
def instructor_detail(request, pk):
    instructor = scope.get_in_station(
        request,
        Instructor.objects.select_related("group", "batch", "user"),
        pk,
        missing="没有这位指导员。",
        path="station",
    )
    return render(
        request,
        "guidance/instructor_detail.html",
        {
            "instructor": instructor,
            "organizations": access.visible_organizations(request.user).filter(
                instructors=instructor
            ),
            "units": instructor.covered_units.select_related("organization"),
            "visits": instructor.visits.select_related("organization", "covered_unit")[:20],
            "problems": instructor.problems.exclude(
                state__in=[ProblemState.SOLVED, ProblemState.UNSOLVABLE]
            ).select_related("visit"),
            "weeks": instructor.weeks.all()[:10],
        },
    )


def _instructor_form(request, instructor):
    scope.require_office(request.user)
    form = InstructorForm(posted(request), instance=instructor, station=request.station)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"已保存：{saved.name}")
        return redirect("guidance:instructor", saved.pk)
    return render(
        request, "guidance/instructor_form.html", {"form": form, "instructor": instructor}
    )


@scope.station_page
def instructor_create(request):
    if not request.station.batches.exists():
        scope.require_office(request.user)
        messages.info(request, "请先登记选派批次。")
        return redirect("guidance:batches")
    return _instructor_form(request, Instructor(station=request.station))


@scope.station_page
def instructor_edit(request, pk):
    instructor = scope.get_in_station(
        request, Instructor.objects.all(), pk, missing="没有这位指导员。", path="station"
    )
    return _instructor_form(request, instructor)


def _formset_page(request, formset_class, template, title):
    scope.require_office(request.user)
    formset = station_formset(formset_class, request.station, posted(request))
    if request.method == "POST" and formset.is_valid():
        for obj in formset.save(commit=False):
            obj.station = request.station
            obj.save()
        messages.success(request, f"{title}已保存。")
        return redirect(request.path)
    return render(request, template, {"formset": formset, "title": title})


@scope.station_page
def groups(request):
    return _formset_page(request, GroupFormSet, "guidance/formset.html", "指导组")


@scope.station_page
def batches(request):
    return _formset_page(request, BatchFormSet, "guidance/formset.html", "选派批次")


@scope.station_page
def mine(request):
    """The instructor's home: their organizations' standing this year (read-only, each
    linking its status page), their open problems, this week's post and record."""
    instructor = request.instructor
    if instructor is None:
        raise PermissionDenied("此页面是党建指导员本人的首页。")
    today = timezone.localdate()
    quarter = scoring_rules.quarter_of(today.month)
    organizations = access.visible_organizations(request.user).order_by("path")
    cards = {
        card.organization_id: card
        for card in Scorecard.objects.filter(organization__in=organizations, year=today.year)
    }
    # The warning of the last ended quarter of this year: the running one is still progress.
    rows = [
        (
            org,
            cards.get(org.pk),
            cards[org.pk].quarter(quarter) if org.pk in cards else None,
            getattr(cards[org.pk], f"l{quarter - 1}") if org.pk in cards and quarter > 1 else None,
        )
        for org in organizations
    ]
    monday = rules.monday_of(today)
    duty = Duty.objects.filter(
        station=request.station, day=today, group=instructor.group_id
    ).first()
    return render(
        request,
        "guidance/mine.html",
        {
            "instructor": instructor,
            "rows": rows,
            "year": today.year,
            "quarter": quarter,
            "duty": duty,
            "monday": monday,
            "week": instructor.weeks.filter(week=monday).first(),
            "to_act": _records_to_act(request.user, request.station).count(),
            "problems": instructor.problems.exclude(
                state__in=[ProblemState.SOLVED, ProblemState.UNSOLVABLE]
            ).select_related("visit"),
            "units": instructor.covered_units.select_related("organization"),
            "tasks": Task.objects.filter(
                task_list__station=request.station, task_list__closed_at=None
            )
            .filter(Q(claimed_by=instructor) | Q(claimed_group=instructor.group_id))
            .select_related("task_list"),
        },
    )


# --- visits and problems ------------------------------------------------------------------


def _period(request, station):
    today = timezone.localdate()
    batch = station.batches.first()
    default_start = batch.starts_on if batch else today.replace(month=1, day=1)
    form = PeriodForm(request.GET or None)
    start, end = form.period(default_start, today)
    return form, start, end


@scope.station_page
def visits(request):
    station = request.station
    form, start, end = _period(request, station)
    listed = (
        Visit.objects.filter(station=station)
        .between(start, end)
        .select_related("organization", "covered_unit")
        .prefetch_related("instructors")
        .annotate(n_problems=Count("problems"))
    )
    mine_only = request.GET.get("mine") == "1" and request.instructor is not None
    if mine_only:
        listed = listed.filter(instructors=request.instructor)
    return render(
        request,
        "guidance/visits.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "visits": listed[:200],
            "total": listed.count(),
            "mine_only": mine_only,
            "by_month": queries.visits_by_month(station, start, end),
            "by_group": queries.visits_by_group(station, start, end),
            "by_unit": queries.visits_by_unit(station, start, end)[:20],
            "may_record": request.user.is_office or request.instructor is not None,
            "query": request.GET.urlencode(),
        },
    )


@scope.station_page
def visit_create(request):
    scope.require_recorder(request)
    station = request.station
    initial: dict[str, Any] = {"visited_on": timezone.localdate()}
    if request.instructor is not None:
        initial["instructors"] = [request.instructor]
    form = VisitForm(posted(request), station=station, initial=initial)
    problems = ProblemFormSet(posted(request), prefix="p", form_kwargs={"station": station})
    if request.method == "POST" and form.is_valid() and problems.is_valid():
        raised = [
            services.NewProblem(p.cleaned_data["text"].strip(), p.cleaned_data["owner"])
            for p in problems
            if p.cleaned_data.get("text", "").strip()
        ]
        visit = form.save(commit=False)
        try:
            services.record_visit(
                visit=visit,
                instructors=list(form.cleaned_data["instructors"]),
                problems=raised,
                user=request.user,
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"已记录走访：{visit.place}")
            return redirect("guidance:visit", visit.pk)
    return render(request, "guidance/visit_form.html", {"form": form, "problems": problems})


@scope.station_page
def visit_detail(request, pk):
    visit = scope.get_in_station(
        request,
        Visit.objects.select_related("organization", "covered_unit", "recorded_by"),
        pk,
        missing="没有这条走访记录。",
        path="station",
    )
    problems = visit.problems.select_related("owner").prefetch_related(
        Prefetch("steps", to_attr="history")
    )
    return render(
        request,
        "guidance/visit_detail.html",
        {
            "visit": visit,
            "problems": [
                (p, ProblemMoveForm(problem=p) if _may_move(request, p) else None) for p in problems
            ],
        },
    )


def _may_move(request, problem):
    return (
        scope.may_manage(request.user, request.station)
        or (request.instructor is not None and problem.owner_id == request.instructor.pk)
    ) and bool(problem.next_states)


@scope.station_page
def problems(request):
    station = request.station
    form, start, end = _period(request, station)
    state = request.GET.get("state", "")
    listed = Problem.objects.filter(visit__station=station, raised_on__range=(start, end))
    counts = dict(listed.values_list("state").annotate(n=Count("pk")).order_by())
    if state in ProblemState.values:
        listed = listed.filter(state=state)
    return render(
        request,
        "guidance/problems.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "state": state,
            "states": [(s, counts.get(s.value, 0)) for s in ProblemState],
            "problems": listed.select_related(
                "owner", "visit__organization", "visit__covered_unit"
            )[:300],
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@scope.station_page
def problem_move(request, pk):
    problem = scope.get_in_station(
        request, Problem.objects.all(), pk, missing="没有这个问题。", path="visit__station"
    )
    if not (
        scope.may_manage(request.user, request.station)
        or (request.instructor is not None and problem.owner_id == request.instructor.pk)
    ):
        raise PermissionDenied("问题由其责任人或站长、党建办办理。")
    form = ProblemMoveForm(request.POST, problem=problem)
    if not problem.next_states:
        messages.error(request, f"该问题已经{problem.get_state_display()}。")
    elif form.is_valid():
        try:
            services.move_problem(problem=problem, user=request.user, **form.cleaned_data)
        except Refused as error:
            _refused(request, error)
        else:
            messages.success(
                request, f"问题已改为“{ProblemState(form.cleaned_data['state']).label}”。"
            )
    else:
        messages.error(
            request,
            "请填写日期并选择状态："
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect("guidance:visit", problem.visit_id)


def _download(data, filename):
    return FileResponse(BytesIO(data), as_attachment=True, filename=filename)


@scope.station_page
def visits_export(request):
    _, start, end = _period(request, request.station)
    data = sheets.visits(request.station, start, end)
    return _download(data, f"走访记录{start:%Y%m%d}-{end:%Y%m%d}.xlsx")


@scope.station_page
def problems_export(request):
    _, start, end = _period(request, request.station)
    data = sheets.problems(request.station, start, end)
    return _download(data, f"问题和需求{start:%Y%m%d}-{end:%Y%m%d}.xlsx")


# --- tasks, meetings, decisions -----------------------------------------------------------


@scope.station_page
def tasks(request):
    station = request.station
    lists = station.task_lists.annotate(
        n=Count("tasks"),
        done=Count("tasks", filter=Q(tasks__feedback="done")),
        claimed=Count(
            "tasks",
            filter=Q(tasks__claimed_by__isnull=False) | Q(tasks__claimed_group__isnull=False),
        ),
    )
    today = timezone.localdate()
    form = TaskListForm(initial={"year": today.year, "month": today.month})
    return render(
        request,
        "guidance/tasks.html",
        {"lists": lists, "form": form if request.user.is_office else None},
    )


@require_POST
@scope.station_page
def task_list_create(request):
    scope.require_office(request.user)
    form = TaskListForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写年度、月份和至少一项任务。")
        return redirect("guidance:tasks")
    data = form.cleaned_data
    try:
        services.issue_task_list(
            station=request.station,
            year=data["year"],
            month=data["month"],
            titles=data["tasks"].splitlines(),
            user=request.user,
        )
    except Refused as error:
        _refused(request, error)
        return redirect("guidance:tasks")
    messages.success(request, f"已下达 {data['year']}年{data['month']}月任务清单。")
    return redirect("guidance:task_list", data["year"], data["month"])


def _task_list(request, year, month):
    task_list = TaskList.objects.filter(station=request.station, year=year, month=month).first()
    if task_list is None:
        raise Http404("该月没有任务清单。")
    return task_list


@scope.station_page
def task_list(request, year, month):
    task_list = _task_list(request, year, month)
    rows = task_list.tasks.select_related("claimed_by", "claimed_group")
    return render(
        request,
        "guidance/task_list.html",
        {
            "task_list": task_list,
            "rows": rows,
            "instructor": request.instructor,
            "may_close": scope.may_manage(request.user, request.station)
            and not task_list.is_closed,
        },
    )


@require_POST
@scope.station_page
def task_claim(request, pk):
    task = scope.get_in_station(
        request,
        Task.objects.select_related("task_list"),
        pk,
        missing="没有这项任务。",
        path="task_list__station",
    )
    if request.instructor is None:
        raise PermissionDenied("任务由党建指导员认领。")
    try:
        services.claim_task(
            task=task, instructor=request.instructor, as_group=request.POST.get("as") == "group"
        )
    except Refused as error:
        _refused(request, error)
    else:
        messages.success(request, f"已认领：{task.title}")
    return redirect("guidance:task_list", task.task_list.year, task.task_list.month)


@scope.station_page
def task_list_close(request, year, month):
    scope.require_manager(request.user, request.station)
    task_list = _task_list(request, year, month)
    rows = [
        (task, FeedbackForm(posted(request), prefix=f"t{task.pk}"))
        for task in task_list.tasks.select_related("claimed_by", "claimed_group")
    ]
    if request.method == "POST":
        if all(form.is_valid() for _, form in rows):
            feedback = {
                task.pk: (form.cleaned_data["feedback"], form.cleaned_data["note"])
                for task, form in rows
            }
            try:
                services.close_task_list(task_list=task_list, feedback=feedback, user=request.user)
            except Refused as error:
                _refused(request, error)
            else:
                messages.success(request, f"{task_list} 已反馈办结。")
                return redirect("guidance:task_list", year, month)
        else:
            messages.error(request, "每项任务都要选择反馈结果。")
    return render(request, "guidance/task_close.html", {"task_list": task_list, "rows": rows})


@scope.station_page
def meetings(request):
    station = request.station
    return render(
        request,
        "guidance/meetings.html",
        {
            "meetings": station.meetings.prefetch_related("attendees", "reports__group")[:30],
            "may_manage": scope.may_manage(request.user, station),
        },
    )


@scope.station_page
def meeting_create(request):
    scope.require_manager(request.user, request.station)
    station = request.station
    form = MeetingForm(
        posted(request),
        station=station,
        initial={"held_on": rules.monday_of(timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.record_meeting(
            station=station,
            held_on=data["held_on"],
            attendees=data["attendees"],
            guests=data["guests"],
            reports=form.reports(),
            this_week=data["this_week"],
            user=request.user,
        )
        messages.success(request, "例会记录已保存。")
        return redirect("guidance:meetings")
    return render(request, "guidance/meeting_form.html", {"form": form})


@scope.station_page
def decisions(request):
    station = request.station
    manage = scope.may_manage(request.user, station)
    form = DecisionForm(
        posted(request) if manage else None, initial={"decided_on": timezone.localdate()}
    )
    if request.method == "POST":
        scope.require_manager(request.user, station)
        if form.is_valid():
            services.record_decision(station=station, user=request.user, **form.cleaned_data)
            messages.success(request, "已记录。")
            return redirect("guidance:decisions")
    return render(
        request,
        "guidance/decisions.html",
        {"decisions": Decision.objects.filter(station=station), "form": form if manage else None},
    )


# --- the AB roster -----------------------------------------------------------------------


def _roster_days(station, monday):
    """[(day, A group, [B groups], {instructor id: presence})] of the week."""
    days = rules.working_days(monday)
    duties = Duty.objects.filter(station=station, day__in=days).select_related("group")
    marks = {
        (a.instructor_id, a.day): a.presence
        for a in Attendance.objects.filter(instructor__station=station, day__in=days)
    }
    rows = []
    for day in days:
        on_day = [d for d in duties if d.day == day]
        a = next((d.group for d in on_day if d.post == Post.A), None)
        b = [d.group for d in on_day if d.post == Post.B]
        rows.append((day, a, b, {i: p for (i, d), p in marks.items() if d == day}))
    return rows


@scope.station_page
def roster(request):
    station = request.station
    monday = week_from(request.GET, timezone.localdate())
    members: dict[int | None, list[Instructor]] = {}
    for instructor in station.instructors.active().select_related("group"):
        members.setdefault(instructor.group_id, []).append(instructor)
    days = []
    for day, a, b, marks in _roster_days(station, monday):
        posts = [(Post.A, g) for g in ([a] if a else [])] + [(Post.B, g) for g in b]
        days.append(
            (
                day,
                [
                    (post, group, [(i, marks.get(i.pk, "")) for i in members.get(group.pk, [])])
                    for post, group in posts
                ],
            )
        )
    return render(
        request,
        "guidance/roster.html",
        {
            "monday": monday,
            "days": days,
            "previous": monday - datetime.timedelta(days=7),
            "following": monday + datetime.timedelta(days=7),
            "may_manage": scope.may_manage(request.user, station),
            "presence_choices": Presence.choices,
            "today": timezone.localdate(),
        },
    )


@scope.station_page
def roster_plan(request):
    station = request.station
    scope.require_manager(request.user, station)
    monday = week_from(request.GET, timezone.localdate())
    groups = list(station.groups.all())
    current = _roster_days(station, monday)
    if any(a for _, a, _, _ in current):
        initial = [(a, b) for _, a, b, _ in current]
    elif len(groups) >= 3:
        by_pk = {g.pk: g for g in groups}
        initial = [
            (by_pk[a], [by_pk[x] for x in b])
            for a, b in rules.rotation([g.pk for g in groups], monday)
        ]
    else:
        initial = []
    form = RosterForm(posted(request), station=station, monday=monday, initial_days=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_week(station=station, monday=monday, days=form.plan())
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"已排定 {monday:%Y年%m月%d日} 这一周的AB岗。")
            return redirect(f"{reverse('guidance:roster')}?week={monday.isoformat()}")
    return render(
        request,
        "guidance/roster_plan.html",
        {"form": form, "monday": monday, "enough": len(groups) >= 3},
    )


@require_POST
@scope.station_page
def attendance(request):
    station = request.station
    scope.require_manager(request.user, station)
    monday = week_from(request.POST, timezone.localdate())
    days = {day.isoformat(): day for day in rules.working_days(monday)}
    marks = {}
    for key, value in request.POST.items():
        if not key.startswith("m_") or not value:
            continue
        instructor, _, day = key[2:].partition("_")
        if not instructor.isdigit() or day not in days:
            messages.error(request, "出勤登记的格式不对，请刷新页面后重试。")
            break
        marks[(int(instructor), days[day])] = value
    else:
        try:
            n = services.record_attendance(station=station, marks=marks, user=request.user)
        except Refused as error:
            _refused(request, error)
        else:
            messages.success(request, f"已登记出勤 {n} 人次。")
    return redirect(f"{reverse('guidance:roster')}?week={monday.isoformat()}")


# --- the instructors' rule set, weekly records, annual points ------------------------------


@scope.station_page
def rule_sets(request):
    station = request.station
    if request.method == "POST":
        scope.require_office(request.user)
        year = request.POST.get("year", "")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            messages.error(request, "请填写 2000–2100 之间的年度。")
        else:
            try:
                services.create_rule_set(station=station, year=int(year))
            except Refused as error:
                _refused(request, error)
            else:
                return redirect("guidance:rule_set", int(year))
        return redirect("guidance:rule_sets")
    return render(
        request,
        "guidance/rule_sets.html",
        {"rule_sets": station.rule_sets.all(), "year": timezone.localdate().year},
    )


def _rule_set(request, year):
    rule_set = InstructorRuleSet.objects.filter(station=request.station, year=year).first()
    if rule_set is None:
        raise Http404(f"{year} 年度还没有指导员考核细则。")
    return rule_set


@scope.station_page
def rule_set(request, year):
    rule_set = _rule_set(request, year)
    return render(
        request,
        "guidance/rule_set.html",
        {"rule_set": rule_set, "items": rule_set.items.all()},
    )


@scope.station_page
def rule_set_edit(request, year):
    scope.require_office(request.user)
    rule_set = _rule_set(request, year)
    form = RuleSetForm(posted(request), instance=rule_set)
    items = ItemFormSet(posted(request), queryset=rule_set.items.all(), prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        services.save_rule_set(form=form, items=items)
        messages.success(request, f"{rule_set} 已保存。")
        return redirect("guidance:rule_set", year)
    return render(
        request, "guidance/rule_set_edit.html", {"rule_set": rule_set, "form": form, "items": items}
    )


def _records_to_act(user, station):
    """The week records waiting for this user's step."""
    leading = Group.objects.filter(station=station, leader__user=user)
    waiting = Q(state=RecordState.SUBMITTED, instructor__group__in=leading)
    if station.head_id == user.pk:
        waiting |= Q(state=RecordState.TALLIED)
    if station.branch_secretary_id == user.pk:
        waiting |= Q(state=RecordState.VERIFIED)
    return WeekRecord.objects.filter(instructor__station=station).filter(waiting)


@scope.station_page
def weeks(request):
    station = request.station
    state = request.GET.get("state", "")
    listed = WeekRecord.objects.filter(instructor__station=station).select_related(
        "instructor__group"
    )
    counts = dict(listed.values_list("state").annotate(n=Count("pk")).order_by())
    if state in RecordState.values:
        listed = listed.filter(state=state)
    return render(
        request,
        "guidance/weeks.html",
        {
            "records": listed[:200],
            "to_act": _records_to_act(request.user, station).select_related("instructor"),
            "states": [(s, counts.get(s.value, 0)) for s in RecordState],
            "state": state,
            "instructor": request.instructor,
            "this_monday": rules.monday_of(timezone.localdate()),
        },
    )


@require_POST
@scope.station_page
def week_start(request):
    if request.instructor is None:
        raise PermissionDenied("工作周记录由党建指导员本人填写。")
    try:
        monday = datetime.date.fromisoformat(request.POST.get("week", ""))
        record = services.start_week(instructor=request.instructor, monday=monday)
    except ValueError:
        messages.error(request, "请选择要填写的一周（周一的日期）。")
        return redirect("guidance:weeks")
    except Refused as error:
        _refused(request, error)
        return redirect("guidance:weeks")
    return redirect("guidance:week_edit", record.pk)


def _week(request, pk):
    return scope.get_in_station(
        request,
        WeekRecord.objects.select_related("instructor__group__leader", "instructor__station"),
        pk,
        missing="没有这份工作周记录。",
        path="instructor__station",
    )


@scope.station_page
def week_detail(request, pk):
    record = _week(request, pk)
    lines = list(record.lines.select_related("item"))
    return render(
        request,
        "guidance/week_detail.html",
        {
            "record": record,
            "lines": lines,
            "total": sum((line.worth for line in lines), start=0),
            "steps": record.steps.select_related("by"),
            "may_act": services.may_take_step(request.user, record),
            "is_owner": record.instructor.user_id == request.user.pk,
        },
    )


@scope.station_page
def week_edit(request, pk):
    record = _week(request, pk)
    if record.instructor.user_id != request.user.pk:
        raise PermissionDenied("工作周记录由党建指导员本人填写。")
    if record.state != RecordState.DRAFT:
        messages.info(request, "该周记录已经提交，退回后才能修改。")
        return redirect("guidance:week", record.pk)
    rule_set = InstructorRuleSet.objects.filter(
        station=request.station, year=record.week.year
    ).first()
    if rule_set is None:
        raise Http404(f"{record.week.year} 年度还没有指导员考核细则。")
    lines = {line.item_id: line for line in record.lines.all()}
    form = WeekForm(
        posted(request),
        items=rule_set.items.all(),
        lines=lines,
        initial={"summary": record.summary},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_week(
                record=record, counts=form.counts(), summary=form.cleaned_data["summary"]
            )
            if request.POST.get("submit"):
                services.take_step(record=record, user=request.user, action=StepAction.SUBMIT)
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, "已提交小组统计。" if request.POST.get("submit") else "已保存。"
            )
            return redirect("guidance:week", record.pk)
    return render(
        request,
        "guidance/week_form.html",
        {
            "record": record,
            "form": form,
            "proposed": services.proposed_counts(record.instructor, record.week),
        },
    )


@require_POST
@scope.station_page
def week_step(request, pk):
    record = _week(request, pk)
    if not services.may_take_step(request.user, record):
        raise PermissionDenied(
            "不是您这一步：小组统计由组长、站内核实由站长、党支部认定由站党支部书记进行。"
        )
    action = request.POST.get("action", "")
    try:
        services.take_step(
            record=record, user=request.user, action=action, comment=request.POST.get("comment", "")
        )
    except Refused as error:
        _refused(request, error)
    else:
        label = StepAction(action).label if action in StepAction.values else action
        messages.success(request, f"{record.instructor} {record.week:%m月%d日}这一周：已{label}。")
    return redirect("guidance:week", record.pk)


@scope.station_page
def points(request, year):
    rule_set = _rule_set(request, year)
    return render(
        request,
        "guidance/points.html",
        {
            "rule_set": rule_set,
            "items": list(rule_set.items.all()),
            "rows": queries.year_rows(rule_set),
        },
    )


@scope.station_page
def points_export(request, year):
    rule_set = _rule_set(request, year)
    return _download(sheets.instructors(rule_set), f"{year}年度党建指导员积分和等次.xlsx")


def instructor_home(user):
    """Where an instructor lands: their own page (or the station's when not yet linked)."""
    return "guidance:mine" if getattr(user, "instructor", None) else "guidance:overview"
