"""The guidance station (issue 16): instructors and their scope, visits with problems, the
monthly task list, the meeting and decisions, the AB roster, the weekly records' three steps,
the yearly points and grades, the station's figures and its sheets."""

import datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from guidance import queries, rules, services
from guidance.models import (
    Attendance,
    Decision,
    Duty,
    Feedback,
    Founding,
    Group,
    Instructor,
    Meeting,
    Post,
    Presence,
    Problem,
    ProblemState,
    RecordState,
    StepAction,
    TaskList,
    Visit,
)
from guidance.services import NewProblem, Refused
from orgs import access
from orgs.models import CoveredUnit

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 3, 3)  # a Monday of a past year


def visit(station, instructors, *, on=DAY, problems=(), **fields):
    fields.setdefault("purpose", "了解党建工作")
    v = Visit(station=station.station, visited_on=on, **fields)
    return services.record_visit(
        visit=v,
        instructors=instructors,
        problems=[NewProblem(text, owner) for text, owner in problems],
        user=None,
    )


# --- the rules -------------------------------------------------------------------------


def test_the_year_total_holds_each_item_to_its_cap_and_the_grade_follows_the_cut_offs():
    caps = {"1": Decimal(30), "2": Decimal(20)}
    total = rules.capped_total({"1": Decimal(42), "2": Decimal("12.5")}, caps)
    assert total == Decimal("42.5")
    cutoffs = (Decimal(90), Decimal(75), Decimal(60))
    assert [rules.grade(Decimal(v), cutoffs) for v in (90, "89.9", 75, 60, "59.9")] == [
        "优秀",
        "良好",
        "良好",
        "合格",
        "不合格",
    ]


def test_the_rotation_gives_each_day_one_a_group_and_two_other_b_groups():
    days = rules.rotation([1, 2, 3, 4, 5], DAY)
    assert len(days) == 5
    for a, b in days:
        assert rules.is_valid_day([a], b)
    # Over five working days of five groups, each stands A once.
    assert sorted(a for a, _ in days) == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        rules.rotation([1, 2], DAY)


# --- (1) the station, instructors and their scope -------------------------------------------


def test_an_instructor_sees_only_the_organizations_assigned_to_them(zone, station):
    assert list(access.visible_organizations(station.instructor.user)) == [zone.a1]
    assert list(access.visible_organizations(station.leader.user)) == [zone.a2]
    assert list(access.visible_organizations(station.head.user)) == []
    station.instructor.is_active = False
    station.instructor.save()
    assert list(access.visible_organizations(station.instructor.user)) == []


def test_an_instructor_lands_on_their_own_page_listing_their_organizations(login, zone, station):
    client = login(station.instructor.user)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("guidance:mine")
    page = client.get(reverse("guidance:mine")).content.decode()
    assert zone.a1.name in page
    assert reverse("scoring:status", args=[zone.a1.pk]) in page
    year = timezone.localdate().year
    assert reverse("scoring:sheet", args=[zone.a1.pk, year]) in page
    assert zone.a2.name not in page and zone.b1.name not in page
    assert client.get(reverse("scoring:status", args=[zone.a1.pk])).status_code == 200
    assert client.get(reverse("scoring:status", args=[zone.a2.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[zone.b1.pk])).status_code == 404


def test_an_instructor_reads_no_office_page(login, station):
    client = login(station.instructor.user)
    assert client.get(reverse("scoring:warnings_index")).status_code == 403
    assert client.get(reverse("dashboard:dashboard")).status_code == 403
    assert client.get(reverse("guidance:instructor_create")).status_code == 403
    assert client.get(reverse("guidance:station_edit")).status_code == 403


def test_staff_add_an_instructor_with_origin_group_batch_and_organizations(login, zone, station):
    client = login(zone.staff)
    # Accounts are opened on the account pages, one place for all of them; the form links there.
    page = client.get(reverse("guidance:instructor_create")).content.decode()
    assert reverse("accounts:create") in page
    unit = CoveredUnit.objects.create(organization=zone.a2, name="甲二公司", kind="enterprise")
    response = client.post(
        reverse("guidance:instructor_create"),
        {
            "name": "王新",
            "origin": "province",
            "employment": "part",
            "group": station.groups[1].pk,
            "batch": station.batch.pk,
            "organizations": [zone.a2.pk],
            "covered_units": [unit.pk],
            "is_active": "on",
        },
    )
    created = Instructor.objects.get(name="王新")
    assert response["Location"] == reverse("guidance:instructor", args=[created.pk])
    assert created.get_origin_display() == "省派" and created.get_employment_display() == "兼职"
    assert list(created.organizations.all()) == [zone.a2]
    assert list(created.covered_units.all()) == [unit]


def test_an_instructor_form_without_origin_says_so_and_saves_nothing(login, zone, station):
    client = login(zone.staff)
    before = Instructor.objects.count()
    response = client.post(reverse("guidance:instructor_create"), {"name": "缺来源"})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert Instructor.objects.count() == before


def test_two_groups_of_one_name_are_refused(login, zone, station):
    client = login(zone.staff)
    data = {
        "form-TOTAL_FORMS": "4",
        "form-INITIAL_FORMS": "3",
        **{f"form-{n}-id": str(g.pk) for n, g in enumerate(station.groups)},
        **{f"form-{n}-name": g.name for n, g in enumerate(station.groups)},
        **{f"form-{n}-order": str(g.order) for n, g in enumerate(station.groups)},
        "form-3-name": "第1组",
        "form-3-order": "9",
    }
    response = client.post(reverse("guidance:groups"), data)
    assert "指导组名称重复：第1组" in response.content.decode()
    assert Group.objects.count() == 3


def test_a_zone_without_a_station_says_so_and_staff_can_set_it_up(login, zone):
    client = login(zone.staff)
    assert "还没有建立党建工作指导站" in client.get(reverse("guidance:overview")).content.decode()
    response = client.post(
        reverse("guidance:station_edit"), {"name": "测试指导站", "branch_name": "指导站党支部"}
    )
    assert response["Location"] == reverse("guidance:overview")
    assert zone.zone.station.name == "测试指导站"


def test_another_zones_office_finds_nothing_of_the_station(login, zone, station, other_zone):
    client = login(other_zone.staff)
    assert "还没有建立" in client.get(reverse("guidance:overview")).content.decode()
    url = reverse("guidance:instructor", args=[station.instructor.pk])
    assert client.get(url).status_code == 200  # the "no station" page, nothing of the first
    assert station.instructor.name not in client.get(url).content.decode()


# --- (2) visits and problems ------------------------------------------------------------


def test_a_visit_with_problems_records_each_with_its_owner_and_an_open_step(zone, station):
    v = visit(
        station,
        [station.instructor, station.leader],
        organization=zone.a1,
        problems=[("用工难", station.instructor), ("缺场地", station.leader)],
    )
    assert set(v.instructors.all()) == {station.instructor, station.leader}
    problems = list(v.problems.order_by("pk"))
    assert [p.owner for p in problems] == [station.instructor, station.leader]
    assert all(p.state == ProblemState.OPEN and p.raised_on == DAY for p in problems)
    assert [s.state for s in problems[0].steps.all()] == [ProblemState.OPEN]


def test_a_problem_moves_open_helping_solved_with_dates_and_notes(zone, station):
    v = visit(
        station, [station.instructor], organization=zone.a1, problems=[("融资", station.instructor)]
    )
    problem = v.problems.get()
    services.move_problem(
        problem=problem, state=ProblemState.HELPING, on=DAY, note="对接银行", user=None
    )
    later = DAY + datetime.timedelta(days=9)
    problem = services.move_problem(
        problem=problem, state=ProblemState.SOLVED, on=later, note="已获贷款", user=None
    )
    assert (problem.helping_on, problem.closed_on, problem.note) == (DAY, later, "已获贷款")
    assert [s.state for s in problem.steps.all()] == ["open", "helping", "solved"]
    with pytest.raises(Refused, match="不能改为"):
        services.move_problem(
            problem=problem, state=ProblemState.HELPING, on=later, note="", user=None
        )


def test_closing_a_problem_needs_a_note_and_a_date_not_before_it_was_raised(zone, station):
    v = visit(
        station, [station.instructor], organization=zone.a1, problems=[("融资", station.instructor)]
    )
    problem = v.problems.get()
    with pytest.raises(Refused, match="请填写办理情况"):
        services.move_problem(
            problem=problem, state=ProblemState.UNSOLVABLE, on=DAY, note=" ", user=None
        )
    with pytest.raises(Refused, match="不能早于"):
        services.move_problem(
            problem=problem,
            state=ProblemState.HELPING,
            on=DAY - datetime.timedelta(days=1),
            note="",
            user=None,
        )
    assert Problem.objects.get().state == ProblemState.OPEN


def test_an_instructor_records_a_visit_on_the_phone_form_and_a_problem_with_it(
    login, zone, station
):
    client = login(station.instructor.user)
    response = client.post(
        reverse("guidance:visit_create"),
        {
            "visited_on": "2025-03-04",
            "instructors": [station.instructor.pk],
            "enterprise_name": "新到企业",
            "credit_code": "91341500MA2XXXXX0A",
            "new_economy": "on",
            "purpose": "宣传党建政策",
            "p-TOTAL_FORMS": "2",
            "p-INITIAL_FORMS": "0",
            "p-0-text": "希望组建党组织",
            "p-0-owner": station.instructor.pk,
            "p-1-text": "",
        },
    )
    v = Visit.objects.get()
    assert response["Location"] == reverse("guidance:visit", args=[v.pk])
    assert v.place == "新到企业" and v.new_economy and v.recorded_by == station.instructor.user
    assert v.problems.get().text == "希望组建党组织"


def test_a_visit_to_nowhere_or_an_uncovered_enterprise_without_a_code_is_refused(
    login, zone, station
):
    client = login(station.instructor.user)
    base = {
        "visited_on": "2025-03-04",
        "instructors": [station.instructor.pk],
        "purpose": "走访",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
    }
    page = client.post(reverse("guidance:visit_create"), base).content.decode()
    assert "请选择走访的党组织或覆盖单位" in page
    # The form offers the instructor's own organizations only, and the units they guide.
    assert zone.a1.name in page and zone.b1.name not in page
    guided = CoveredUnit.objects.create(organization=zone.b1, name="乙一公司", kind="enterprise")
    CoveredUnit.objects.create(organization=zone.b1, name="乙二公司", kind="enterprise")
    station.instructor.covered_units.add(guided)
    page = client.get(reverse("guidance:visit_create")).content.decode()
    assert "乙一公司" in page and "乙二公司" not in page
    page = client.post(
        reverse("guidance:visit_create"), {**base, "organization": zone.b1.pk}
    ).content.decode()
    assert "选择一个有效的选项" in page
    page = client.post(
        reverse("guidance:visit_create"), {**base, "enterprise_name": "某企业"}
    ).content.decode()
    assert "未覆盖企业请填写统一社会信用代码" in page
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page = client.post(
        reverse("guidance:visit_create"),
        {**base, "organization": zone.a1.pk, "visited_on": tomorrow.isoformat()},
    ).content.decode()
    assert "走访日期不能晚于今天" in page
    page = client.post(
        reverse("guidance:visit_create"),
        {**base, "organization": zone.a1.pk, "p-0-text": "无人负责"},
    ).content.decode()
    assert "请为问题指定责任人" in page
    assert not Visit.objects.exists()


def test_an_instructor_enters_only_visits_they_made(zone, station):
    v = Visit(station=station.station, visited_on=DAY, organization=zone.a1, purpose="走访")
    with pytest.raises(Refused, match="勾选您本人"):
        services.record_visit(
            visit=v, instructors=[station.leader], problems=[], user=station.instructor.user
        )
    services.record_visit(visit=v, instructors=[station.leader], problems=[], user=zone.staff)
    assert Visit.objects.get().recorded_by == zone.staff


def test_a_visit_is_corrected_by_an_instructor_who_made_it_or_the_office(login, zone, station):
    v = visit(station, [station.instructor], organization=zone.a1)
    url = reverse("guidance:visit_edit", args=[v.pk])
    assert login(station.leader.user).get(url).status_code == 403
    data = {
        "visited_on": DAY.isoformat(),
        "instructors": [station.instructor.pk],
        "organization": zone.a1.pk,
        "purpose": "回访",
        "founded": "single",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
        "p-0-text": "新问题",
        "p-0-owner": station.instructor.pk,
    }
    response = login(station.instructor.user).post(url, data)
    assert response["Location"] == reverse("guidance:visit", args=[v.pk])
    v.refresh_from_db()
    assert (v.purpose, v.founded, v.recorded_by) == ("回访", "single", None)
    assert v.problems.get().text == "新问题"
    assert Visit.objects.count() == 1


def test_a_problem_is_moved_by_its_owner_not_by_another_instructor(login, zone, station):
    v = visit(
        station, [station.instructor], organization=zone.a1, problems=[("融资", station.instructor)]
    )
    problem = v.problems.get()
    url = reverse("guidance:problem_move", args=[problem.pk])
    data = {"state": "helping", "on": DAY.isoformat(), "note": ""}
    assert login(station.leader.user).post(url, data).status_code == 403
    response = login(station.instructor.user).post(url, data)
    assert response["Location"] == reverse("guidance:visit", args=[v.pk])
    assert Problem.objects.get().state == ProblemState.HELPING


def test_visit_counts_by_instructor_group_month_and_unit(zone, station):
    visit(station, [station.instructor, station.leader], organization=zone.a1)
    visit(station, [station.instructor], organization=zone.a1, on=DAY + datetime.timedelta(days=31))
    visit(station, [station.head], enterprise_name="乙企业", credit_code="91341500MA2XXXXX0A")
    end = DAY + datetime.timedelta(days=60)
    by_instructor = {i.name: i.n for i in queries.visits_by_instructor(station.station, DAY, end)}
    assert by_instructor["指导员instructor"] == 2 and by_instructor["指导员leader"] == 1
    assert by_instructor["指导员head"] == 1 and by_instructor["指导员member2"] == 0
    by_group = {g.name: g.n for g in queries.visits_by_group(station.station, DAY, end)}
    assert by_group == {"第1组": 2, "第2组": 1, "第3组": 0}
    by_month = [
        (r["month"].month, r["n"]) for r in queries.visits_by_month(station.station, DAY, end)
    ]
    assert by_month == [(3, 2), (4, 1)]
    by_unit = {
        (r["organization__name"] or r["enterprise_name"]): r["n"]
        for r in queries.visits_by_unit(station.station, DAY, end)
    }
    assert by_unit == {zone.a1.name: 2, "乙企业": 1}


# --- (3) tasks, meetings, decisions ------------------------------------------------------


def test_a_month_task_list_is_claimed_and_closed_with_feedback_on_every_task(zone, station):
    task_list = services.issue_task_list(
        station=station.station,
        year=2025,
        month=3,
        titles=["走访新企业", "", "编写简报"],
        user=zone.staff,
    )
    first, second = task_list.tasks.all()
    services.claim_task(task=first, instructor=station.instructor, as_group=False)
    services.claim_task(task=second, instructor=station.leader, as_group=True)
    with pytest.raises(Refused, match="已由"):
        services.claim_task(task=first, instructor=station.leader, as_group=False)
    with pytest.raises(Refused, match="还没有反馈：编写简报"):
        services.close_task_list(
            task_list=task_list, feedback={first.pk: ("done", "")}, user=zone.staff
        )
    with pytest.raises(Refused, match="请说明原因：编写简报"):
        services.close_task_list(
            task_list=task_list,
            feedback={first.pk: ("done", ""), second.pk: ("partly", "")},
            user=zone.staff,
        )
    services.close_task_list(
        task_list=task_list,
        feedback={first.pk: ("done", ""), second.pk: ("partly", "只编了一期")},
        user=zone.staff,
    )
    task_list.refresh_from_db()
    assert task_list.is_closed and task_list.closed_by == zone.staff
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.claimed_by == station.instructor and second.claimed_group == station.groups[0]
    assert (second.feedback, second.feedback_note) == (Feedback.PARTLY, "只编了一期")
    with pytest.raises(Refused, match="已经下达"):
        services.issue_task_list(
            station=station.station, year=2025, month=3, titles=["再来"], user=zone.staff
        )


def test_the_head_closes_a_month_from_the_web_and_an_instructor_cannot(login, zone, station):
    task_list = services.issue_task_list(
        station=station.station, year=2025, month=3, titles=["走访"], user=zone.staff
    )
    task = task_list.tasks.get()
    url = reverse("guidance:task_list_close", args=[2025, 3])
    data = {f"t{task.pk}-feedback": "done", f"t{task.pk}-note": ""}
    assert login(station.instructor.user).post(url, data).status_code == 403
    response = login(station.head.user).post(url, data)
    assert response["Location"] == reverse("guidance:task_list", args=[2025, 3])
    assert TaskList.objects.get().is_closed


def test_the_weekly_meeting_and_a_decision_are_recorded(login, zone, station):
    client = login(station.head.user)
    response = client.post(
        reverse("guidance:meeting_create"),
        {
            "held_on": "2025-03-03",
            "attendees": [station.instructor.pk, station.leader.pk],
            "guests": "非公党委 李某",
            f"report_{station.groups[0].pk}": "走访 5 家",
            "this_week": "完成季度简报",
        },
    )
    assert response["Location"] == reverse("guidance:meetings")
    meeting = Meeting.objects.get()
    assert meeting.attendees.count() == 2
    assert [(r.group, r.text) for r in meeting.reports.all()] == [(station.groups[0], "走访 5 家")]
    response = client.post(
        reverse("guidance:decisions"),
        {"decided_on": "2025-03-03", "matter": "调整分组", "decision": "第1组增加一人"},
    )
    assert Decision.objects.get().matter == "调整分组"
    assert (
        login(station.instructor.user)
        .post(reverse("guidance:decisions"), {"matter": "x"})
        .status_code
        == 403
    )


# --- (4) the AB roster ---------------------------------------------------------------


def _plan(station, monday=DAY):
    g1, g2, g3 = station.groups
    services.plan_week(
        station=station.station,
        monday=monday,
        days=[(g1, [g2, g3]), (g2, [g1, g3]), (g3, [g1, g2]), (g1, [g2, g3]), (g2, [g1, g3])],
    )


def test_a_week_roster_has_one_a_and_two_b_groups_each_working_day(station):
    _plan(station)
    duties = Duty.objects.filter(station=station.station)
    assert duties.count() == 15
    assert duties.filter(post=Post.A).count() == 5
    g1, g2, g3 = station.groups
    with pytest.raises(Refused, match="不能重复"):
        services.plan_week(
            station=station.station, monday=DAY, days=[(g1, [g1, g2])] + [(g1, [g2, g3])] * 4
        )
    with pytest.raises(Refused, match="从周一开始"):
        services.plan_week(
            station=station.station, monday=DAY + datetime.timedelta(days=1), days=[]
        )
    assert Duty.objects.filter(station=station.station).count() == 15


def test_attendance_is_recorded_only_for_rostered_groups(station, zone):
    _plan(station)
    services.record_attendance(
        station=station.station,
        marks={
            (station.instructor.pk, DAY): Presence.PRESENT,
            (station.leader.pk, DAY): Presence.LEAVE,
        },
        user=zone.staff,
    )
    assert Attendance.objects.count() == 2
    saturday = DAY + datetime.timedelta(days=5)
    with pytest.raises(Refused, match="没有排班"):
        services.record_attendance(
            station=station.station,
            marks={(station.instructor.pk, saturday): Presence.PRESENT},
            user=zone.staff,
        )


def test_the_roster_page_shows_who_was_where(login, station, zone):
    _plan(station)
    services.record_attendance(
        station=station.station,
        marks={(station.instructor.pk, DAY): Presence.ABSENT},
        user=zone.staff,
    )
    page = (
        login(station.instructor.user)
        .get(reverse("guidance:roster"), {"week": "2025-03-05"})
        .content.decode()
    )
    assert "第1组" in page and "A岗" in page and "缺勤" in page
    page = (
        login(zone.staff).get(reverse("guidance:roster"), {"week": "2025-03-03"}).content.decode()
    )
    assert f'name="m_{station.leader.pk}_2025-03-03"' in page and "请假" in page
    response = login(zone.staff).post(
        reverse("guidance:attendance"),
        {"week": "2025-03-03", f"m_{station.leader.pk}_2025-03-03": "present"},
    )
    assert response.status_code == 302
    assert Attendance.objects.get(instructor=station.leader).presence == Presence.PRESENT


# --- (5) weekly records and yearly points -------------------------------------------------


def _year(station, year=2025):
    return services.create_rule_set(station=station.station, year=year)


def test_a_week_record_proposes_its_counts_from_visits_solved_problems_and_attendance(
    zone, station
):
    _year(station)
    _plan(station)
    v = visit(
        station,
        [station.instructor],
        organization=zone.a1,
        founded=Founding.SINGLE,
        problems=[("用工", station.instructor)],
    )
    visit(station, [station.instructor], organization=zone.a1, on=DAY + datetime.timedelta(days=2))
    services.move_problem(
        problem=v.problems.get(),
        state=ProblemState.SOLVED,
        on=DAY + datetime.timedelta(days=3),
        note="已解决",
        user=None,
    )
    services.record_attendance(
        station=station.station,
        marks={
            (station.instructor.pk, DAY + datetime.timedelta(days=n)): Presence.PRESENT
            for n in range(3)
        },
        user=zone.staff,
    )
    record = services.start_week(instructor=station.instructor, monday=DAY)
    counts = {line.item.name: line.count for line in record.lines.select_related("item")}
    assert counts == {"走访企业": 2, "帮办解决问题": 1, "组建党组织": 1, "AB岗出勤": 3}


def test_a_week_started_early_counts_later_visits_again_and_keeps_what_was_typed(
    login, zone, station
):
    rule_set = _year(station)
    record = services.start_week(instructor=station.instructor, monday=DAY)
    assert not record.lines.exists()
    briefing = rule_set.items.get(source="briefing")
    services.save_week(record=record, counts={briefing: (2, "两期")}, summary="")
    visit(station, [station.instructor], organization=zone.a1, on=DAY + datetime.timedelta(days=2))
    response = login(station.instructor.user).post(
        reverse("guidance:week_edit", args=[record.pk]), {"refresh": "1"}
    )
    assert response["Location"] == reverse("guidance:week_edit", args=[record.pk])
    counts = {line.item.name: (line.count, line.note) for line in record.lines.all()}
    assert counts == {"走访企业": (1, "据系统记录"), "编写工作简报": (2, "两期")}


def test_a_week_record_goes_through_the_three_steps_and_can_be_returned(zone, station):
    rule_set = _year(station)
    record = services.start_week(instructor=station.instructor, monday=DAY)
    briefing = rule_set.items.get(name="编写工作简报")
    services.save_week(record=record, counts={briefing: (2, "两期")}, summary="本周编简报")
    services.take_step(record=record, user=station.instructor.user, action=StepAction.SUBMIT)
    with pytest.raises(Refused, match="不是您这一步"):
        services.take_step(record=record, user=station.head.user, action=StepAction.VERIFY)
    services.take_step(record=record, user=station.leader.user, action=StepAction.TALLY)
    with pytest.raises(Refused, match="请填写退回意见"):
        services.take_step(record=record, user=station.head.user, action=StepAction.RETURN)
    record = services.take_step(
        record=record, user=station.head.user, action=StepAction.RETURN, comment="简报只有一期"
    )
    assert record.state == RecordState.DRAFT and record.returned_comment == "简报只有一期"
    services.save_week(record=record, counts={briefing: (1, "一期")}, summary="")
    for user, action in (
        (station.instructor.user, StepAction.SUBMIT),
        (station.leader.user, StepAction.TALLY),
        (station.head.user, StepAction.VERIFY),
        (station.branch.user, StepAction.CERTIFY),
    ):
        record = services.take_step(record=record, user=user, action=action)
    assert record.state == RecordState.CERTIFIED and record.returned_comment == ""
    steps = [(s.action, s.by) for s in record.steps.all()]
    assert steps == [
        ("submit", station.instructor.user),
        ("tally", station.leader.user),
        ("return", station.head.user),
        ("submit", station.instructor.user),
        ("tally", station.leader.user),
        ("verify", station.head.user),
        ("certify", station.branch.user),
    ]
    with pytest.raises(Refused, match="已经提交"):
        services.save_week(record=record, counts={}, summary="")


def _certify(station, record):
    for user, action in (
        (station.instructor.user, StepAction.SUBMIT),
        (station.leader.user, StepAction.TALLY),
        (station.head.user, StepAction.VERIFY),
        (station.branch.user, StepAction.CERTIFY),
    ):
        services.take_step(record=record, user=user, action=action)


def test_the_year_counts_certified_weeks_within_the_caps_and_grades_the_total(zone, station):
    rule_set = _year(station)
    items = {i.name: i for i in rule_set.items.all()}
    rule_set.passing = Decimal(30)
    rule_set.save()
    for n in range(4):
        record = services.start_week(
            instructor=station.instructor, monday=DAY + datetime.timedelta(weeks=n)
        )
        services.save_week(
            record=record,
            counts={items["走访企业"]: (10, ""), items["编写工作简报"]: (1, "")},
            summary="",
        )
        if n < 3:
            _certify(station, record)
    rows = {row.instructor: row for row in queries.year_rows(rule_set)}
    mine = rows[station.instructor]
    # 3 certified weeks: 30 visits (cap 30) and 3 briefings; the fourth is still in draft.
    assert mine.points == {"1": Decimal(30), "4": Decimal(3)}
    assert mine.total == Decimal(33) and mine.grade == "合格" and mine.pending == 1
    assert rows[station.leader].total == 0 and rows[station.leader].grade == "不合格"


def test_the_week_pages_walk_a_record_through_its_steps(login, zone, station):
    _year(station)
    client = login(station.instructor.user)
    response = client.post(reverse("guidance:week_start"), {"week": "2025-03-03"})
    record = station.instructor.weeks.get()
    assert response["Location"] == reverse("guidance:week_edit", args=[record.pk])
    item = station.station.rule_sets.get().items.get(code="4")
    response = client.post(
        reverse("guidance:week_edit", args=[record.pk]),
        {f"count_{item.pk}": "2", f"note_{item.pk}": "两期", "summary": "编简报", "submit": "1"},
    )
    record.refresh_from_db()
    assert record.state == RecordState.SUBMITTED
    step = reverse("guidance:week_step", args=[record.pk])
    assert client.post(step, {"action": "tally"}).status_code == 403
    login(station.leader.user).post(step, {"action": "tally"})
    login(station.head.user).post(step, {"action": "verify"})
    login(station.branch.user).post(step, {"action": "certify"})
    record.refresh_from_db()
    assert record.state == RecordState.CERTIFIED


def test_an_instructor_rule_set_is_edited_by_the_office(login, zone, station):
    rule_set = _year(station)
    items = list(rule_set.items.all())
    data = {
        "excellent": "95",
        "good": "80",
        "passing": "60",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
    }
    for n, item in enumerate(items):
        data |= {
            f"items-{n}-id": item.pk,
            f"items-{n}-code": item.code,
            f"items-{n}-name": item.name,
            f"items-{n}-unit": item.unit,
            f"items-{n}-points": str(item.points),
            f"items-{n}-yearly_cap": str(item.yearly_cap),
            f"items-{n}-source": item.source,
        }
    response = login(zone.staff).post(reverse("guidance:rule_set_edit", args=[2025]), data)
    assert response["Location"] == reverse("guidance:rule_set", args=[2025])
    rule_set.refresh_from_db()
    assert rule_set.excellent == 95
    data["good"] = "99"
    page = login(zone.staff).post(reverse("guidance:rule_set_edit", args=[2025]), data)
    assert "分数线应为 优秀 &gt; 良好 &gt; 合格" in page.content.decode()


# --- (6) the station's figures and its sheets --------------------------------------------


def test_the_station_figures_equal_the_underlying_records(zone, station):
    rule_set = _year(station)
    unit = CoveredUnit.objects.create(organization=zone.a2, name="甲二公司", kind="enterprise")
    visit(
        station,
        [station.instructor],
        organization=zone.a1,
        founded=Founding.SINGLE,
        problems=[("a", station.instructor), ("b", station.instructor)],
    )
    visit(station, [station.leader], organization=zone.a1, on=DAY + datetime.timedelta(days=1))
    visit(
        station,
        [station.leader],
        covered_unit=unit,
        new_economy=True,
        founded=Founding.JOINT,
        mass_founded=True,
        problems=[("c", station.leader)],
    )
    visit(
        station,
        [station.head],
        enterprise_name="丙企业",
        credit_code="91341500MA2XXXXX0A",
        new_economy=True,
    )
    visit(station, [station.head], organization=zone.a1, on=datetime.date(2024, 12, 1))  # outside
    solved = Problem.objects.get(text="a")
    services.move_problem(problem=solved, state=ProblemState.SOLVED, on=DAY, note="ok", user=None)
    record = services.start_week(instructor=station.instructor, monday=DAY)
    items = {i.source: i for i in rule_set.items.all()}
    services.save_week(
        record=record, counts={items["briefing"]: (3, ""), items["experience"]: (1, "")}, summary=""
    )
    figures = queries.station_figures(
        station.station, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
    )
    in_year = Visit.objects.filter(visited_on__year=2025)
    assert figures.visits == in_year.count() == 4
    assert figures.enterprises_visited == 3  # a1 twice, the unit, the uncovered enterprise
    assert (figures.founded_single, figures.founded_joint, figures.founded) == (1, 1, 2)
    assert figures.mass_founded == in_year.filter(mass_founded=True).count() == 1
    assert figures.new_economy_visited == 2 and figures.new_economy_founded == 1
    assert figures.problems_collected == Problem.objects.count() == 3
    assert figures.problems_solved == 1 and figures.problems_open == 2
    assert (figures.briefings, figures.experiences) == (3, 1)


def test_the_overview_shows_the_figures_for_the_period_asked(login, zone, station):
    visit(station, [station.instructor], organization=zone.a1, founded=Founding.SINGLE)
    page = (
        login(zone.staff)
        .get(reverse("guidance:overview"), {"start": "2025-01-01", "end": "2025-12-31"})
        .content.decode()
    )
    assert 'data-figure="enterprises">1<' in page and 'data-figure="founded">1<' in page
    page = (
        login(zone.staff)
        .get(reverse("guidance:overview"), {"start": "2024-01-01", "end": "2024-12-31"})
        .content.decode()
    )
    assert 'data-figure="enterprises">0<' in page


def test_export_instructors_writes_each_instructors_points_and_grade(tmp_path, zone, station):
    rule_set = _year(station)
    item = rule_set.items.get(code="1")
    record = services.start_week(instructor=station.instructor, monday=DAY)
    services.save_week(record=record, counts={item: (12, "")}, summary="")
    _certify(station, record)
    output = tmp_path / "instructors.xlsx"
    out = StringIO()
    call_command("export_instructors", year=2025, output=output, zone="ROOT", stdout=out)
    rows = list(load_workbook(output).active.iter_rows(values_only=True))
    assert rows[0][0] == "测试指导站 2025年度党建指导员积分和等次"
    header, first = rows[1], rows[2]
    assert header[-3:] == ("年度积分", "等次", "未认定周记录")
    assert first[1] == "指导员instructor" and first[-3:] == (12.0, "不合格", 0)
    assert len(rows) == 2 + Instructor.objects.count()
    with pytest.raises(Exception, match="还没有指导员考核细则"):
        call_command("export_instructors", year=2030, output=output, zone="ROOT")


def test_visits_and_problems_export_from_the_web(login, zone, station):
    visit(
        station,
        [station.instructor],
        organization=zone.a1,
        problems=[("=HYPERLINK()", station.instructor)],
    )
    client = login(zone.staff)
    query = {"start": "2025-01-01", "end": "2025-12-31"}
    visits = load_workbook(
        BytesIO(b"".join(client.get(reverse("guidance:visits_export"), query).streaming_content))
    )
    rows = list(visits.active.iter_rows(values_only=True))
    assert rows[2][2] == zone.a1.name and rows[2][-1] == 1
    problems = load_workbook(
        BytesIO(b"".join(client.get(reverse("guidance:problems_export"), query).streaming_content))
    )
    cell = problems.active.cell(row=3, column=3)
    assert cell.value == "=HYPERLINK()" and cell.data_type == "s"
    points = client.get(reverse("guidance:points_export", args=[2025]))
    assert points.status_code == 404  # no rule set for 2025 yet


def test_the_station_pages_read_in_a_constant_number_of_queries(login, zone, station):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rule_set = _year(station)
    item = rule_set.items.get(code="4")
    client = login(zone.staff)
    urls = [
        reverse("guidance:overview"),
        reverse("guidance:visits"),
        reverse("guidance:problems"),
        reverse("guidance:weeks"),
        reverse("guidance:instructors"),
        reverse("guidance:points", args=[2025]),
        reverse("guidance:meetings"),
    ]
    period = {"start": "2025-01-01", "end": "2025-12-31"}

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, period).status_code == 200
            result.append(len(queries))
        return result

    def add(n):
        monday = DAY + datetime.timedelta(weeks=n)
        visit(
            station,
            [station.instructor, station.leader],
            organization=zone.a1,
            on=monday,
            problems=[("问题", station.leader)],
        )
        record = services.start_week(instructor=station.leader, monday=monday)
        services.save_week(record=record, counts={item: (1, "")}, summary="")
        services.record_meeting(
            station=station.station,
            held_on=monday,
            attendees=[station.instructor],
            guests="",
            reports={station.groups[0]: "汇报"},
            this_week="任务",
            user=zone.staff,
        )

    add(0)
    few = counts()
    for n in range(1, 6):
        add(n)
    assert counts() == few


def test_each_step_is_stamped_when_it_happens_so_the_demo_reads_as_a_real_station(zone, station):
    from scoring.demo import at, clock

    _year(station)
    record = services.start_week(instructor=station.instructor, monday=DAY)
    moment = at(DAY + datetime.timedelta(days=4), 17)
    with clock(moment):
        services.take_step(record=record, user=station.instructor.user, action=StepAction.SUBMIT)
        v = visit(
            station,
            [station.instructor],
            organization=zone.a1,
            problems=[("问题", station.instructor)],
        )
        task_list = services.issue_task_list(
            station=station.station, year=2025, month=3, titles=["走访"], user=zone.staff
        )
    assert record.steps.get().at == moment
    assert v.recorded_at == moment and v.problems.get().steps.get().at == moment
    assert task_list.issued_at == moment


def test_a_step_locks_only_the_week_record_as_postgresql_requires():
    """FOR UPDATE over the outer join to an instructor's group (which may be none) is refused
    by PostgreSQL: every submission answered 500 there (the input probe found it). Compiled
    for PostgreSQL, the lock names the record's table only."""
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    from guidance.services import steppable

    postgres = DatabaseWrapper(
        {**connections["default"].settings_dict, "ENGINE": "django.db.backends.postgresql"}
    )
    postgres.connection = object()  # compiled only, never connected
    sql, _ = steppable().filter(pk=1).query.get_compiler(connection=postgres).as_sql()

    assert "LEFT OUTER JOIN" in sql
    assert sql.endswith('FOR UPDATE OF "guidance_weekrecord"')
