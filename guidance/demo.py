"""The demo zone's guidance station: fifteen instructors in five groups of the fifth batch,
which arrived on 1 September of last year, and what they have done since, day by day
through the services under the demo clock: a roster every week with attendance, visits by
the B groups with the problems they raised walked to 帮办中 / 已解决 / 无法解决, the monthly task
lists issued, claimed and closed with feedback, the Monday meetings, a few branch decisions,
and every instructor's weekly records in every step (the older ones certified, the last
weeks on their way, one returned)."""

import datetime
import random
from typing import Any

from django.contrib.auth.hashers import make_password

from orgs import demo as org_demo
from orgs.models import CoveredUnit, Organization, Role, Sector, User, Zone
from scoring.demo import at, clock

from . import rules, services
from .models import (
    Batch,
    Employment,
    Feedback,
    Founding,
    Group,
    Instructor,
    Origin,
    Presence,
    Problem,
    ProblemState,
    Source,
    Station,
    StepAction,
    Visit,
)

GROUPS = ["第一指导组", "第二指导组", "第三指导组", "第四指导组", "第五指导组"]
ORIGINS = [Origin.PROVINCE] * 4 + [Origin.CITY] * 5 + [Origin.DISTRICT] * 6
# (username, description): the accounts worth logging in as; the other instructors' are zdNN.
LOGINS = {
    "zhidao": "党建指导员（第一指导组，联系约 20 个党组织）",
    "zdzuzhang": "党建指导员（第一指导组组长：小组统计）",
    "zdzhanzhang": "党建指导员（指导站站长：站内核实）",
    "zdzhibu": "党建指导员（站党支部书记：党支部认定）",
}
PURPOSES = [
    "了解企业党建工作开展情况",
    "指导“三会一课”台账规范",
    "宣传非公企业党建政策",
    "推动党组织组建",
    "帮助企业解决用工问题",
    "指导主题党日活动",
]
PROBLEMS = [
    "企业招工难，希望协调人社部门对接招聘会",
    "希望帮助对接银行，解决流动资金贷款",
    "党员活动场地不足，希望协调党群服务中心",
    "新入职党员组织关系转接不畅",
    "企业申报高新技术企业需要政策辅导",
    "厂区周边道路照明不足，希望协调整改",
]
NOTES = {
    ProblemState.HELPING: "已与相关部门对接，正在协调",
    ProblemState.SOLVED: "经协调已解决，企业满意",
    ProblemState.UNSOLVABLE: "超出政策范围，已向企业解释说明",
}
TASKS = [
    "走访联系企业，摸排党员和党组织情况",
    "指导联系党组织规范“三会一课”台账",
    "编写本月工作简报",
    "推动新业态企业组建党组织",
    "收集企业问题和需求并跟踪帮办",
    "总结一条典型经验做法",
]


def play(*, seed: int, zone: Zone, today: datetime.date, user: Any) -> list[tuple[str, str]] | None:
    """Build the station of `zone` and its life up to `today`; returns the demo logins, or
    None when the station exists already."""
    if Station.objects.filter(zone=zone).exists():
        return None
    rng = random.Random(f"{seed}:{zone.code}:guidance")
    start = datetime.date(today.year - 1, 9, 1)
    with clock(at(start - datetime.timedelta(days=3))):
        station, instructors = _people(rng, zone, start)
        for year in range(start.year, today.year + 1):
            services.create_rule_set(station=station, year=year)
    groups = list(station.groups.all())
    decisions = _decision_days(start, today)
    monday = rules.monday_of(start)
    while monday <= today:
        _week(rng, station, groups, instructors, monday, today, user)
        if monday.day <= 7:
            _month(rng, station, instructors, monday, today, user)
        for day, matter, decision in decisions:
            if monday <= day < monday + datetime.timedelta(days=7) and day < today:
                with clock(at(day, 16)):
                    services.record_decision(
                        station=station,
                        decided_on=day,
                        matter=matter,
                        decision=decision,
                        user=station.head,
                    )
        monday += datetime.timedelta(days=7)
    _leave_open(station, instructors, today)
    _walk_records(rng, station, instructors, today)
    return [(u, label) for u, label in LOGINS.items()]


def _people(rng, zone, start):
    password = make_password(org_demo.DEMO_PASSWORD)
    station = Station.objects.create(zone=zone, name=f"{zone.name}党建工作指导站")
    batch = Batch.objects.create(
        station=station,
        name="第五批",
        starts_on=start,
        ends_on=datetime.date(start.year + 2, 8, 31),
    )
    groups = [Group.objects.create(station=station, name=n, order=i) for i, n in enumerate(GROUPS)]
    organizations = list(
        Organization.objects.in_zone(zone)
        .scored()
        .filter(sector__in=[Sector.NON_PUBLIC, Sector.SOCIAL], depth__gt=2)
        .order_by("path")
    )
    origins = ORIGINS[:]
    rng.shuffle(origins)
    instructors = []
    for n in range(15):
        group = groups[n // 3]
        username = {0: "zhidao", 1: "zdzuzhang", 3: "zdzhanzhang", 6: "zdzhibu"}.get(
            n, f"zd{n + 1:02d}"
        )
        name = org_demo.person_name(rng)
        account, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": Role.INSTRUCTOR,
                "zone": zone,
                "last_name": name[0],
                "first_name": name[1:],
                "password": password,
            },
        )
        instructor = Instructor.objects.create(
            station=station,
            name=name,
            origin=origins[n],
            employment=Employment.PART if n % 5 == 4 else Employment.FULL,
            group=group,
            batch=batch,
            user=account,
            phone=f"1395640{n:04d}",
        )
        mine = organizations[n::15]
        instructor.organizations.set(mine)
        instructor.covered_units.set(CoveredUnit.objects.filter(organization__in=mine))
        instructors.append(instructor)
    for group in groups:
        # The group's second member leads it in group 1 (the demo's 组长 account), else the first.
        members = [i for i in instructors if i.group_id == group.pk]
        group.leader = members[1] if group == groups[0] else members[0]
        group.save()
    station.head = instructors[3].user
    station.branch_secretary = instructors[6].user
    station.save()
    return station, instructors


def _decision_days(start, today):
    return [
        (
            start + datetime.timedelta(days=2),
            "第五批指导员分组联系",
            "分为五个指导组，每组联系约 60 个党组织",
        ),
        (
            start + datetime.timedelta(days=9),
            "实行“四个机制”",
            "实行站长负责制、清单调度制、AB岗工作制、量化考核制",
        ),
        (
            start + datetime.timedelta(days=40),
            "指导员积分考核工作周记录表",
            "按周填写，小组统计、站内核实、党支部认定",
        ),
        (datetime.date(start.year + 1, 1, 9), "年度指导员考核结果", "按积分确定等次，报党工委备案"),
        (
            today - datetime.timedelta(days=20),
            "调整AB岗轮换顺序",
            "各组轮流承担A岗，确保每天两组走访",
        ),
    ]


def _week(rng, station, groups, instructors, monday, today, user):
    """Monday's meeting, the week's roster, each day's attendance and the B groups' visits."""
    by_pk = {g.pk: g for g in groups}
    days = rules.rotation([g.pk for g in groups], monday)
    with clock(at(monday - datetime.timedelta(days=3), 15)):
        services.plan_week(
            station=station,
            monday=monday,
            days=[(by_pk[a], [by_pk[b] for b in bs]) for a, bs in days],
        )
    if monday < today:
        with clock(at(monday, 9)):
            services.record_meeting(
                station=station,
                held_on=monday,
                attendees=[i for i in instructors if rng.random() < 0.93],
                guests="非公党委办公室 联络员" if rng.random() < 0.6 else "",
                reports={
                    g: f"上周走访企业 {rng.randint(3, 9)} 家，指导台账 {rng.randint(1, 4)} 个"
                    for g in groups
                },
                this_week=rng.choice(TASKS),
                user=station.head,
            )
    members = {g.pk: [i for i in instructors if i.group_id == g.pk] for g in groups}
    for day, (a, bs) in zip(rules.working_days(monday), days, strict=True):
        if day >= today:
            break
        marks = {}
        for group in (a, *bs):
            for person in members[group]:
                roll = rng.random()
                presence = (
                    Presence.PRESENT
                    if roll < 0.92
                    else Presence.LEAVE
                    if roll < 0.98
                    else Presence.ABSENT
                )
                marks[(person.pk, day)] = presence
        with clock(at(day, 17, 30)):
            services.record_attendance(station=station, marks=marks, user=station.head)
        for group in bs:
            present = [p for p in members[group] if marks[(p.pk, day)] == Presence.PRESENT]
            if present and rng.random() < 0.7:
                _visit(rng, station, present, day, today)


def _visit(rng, station, people, day, today):
    lead = people[0]
    roll = rng.random()
    place: dict[str, Any] = {}
    if roll < 0.12:
        place = {
            "enterprise_name": f"安徽{rng.choice(org_demo.BRANDS)}{rng.choice(['网络科技', '物流', '电子商务', '外卖配送'])}有限公司",
            "credit_code": org_demo.credit_code(rng),
        }
    else:
        units = list(lead.covered_units.all()[:40])
        if units and rng.random() < 0.7:
            unit = rng.choice(units)
            place = {"covered_unit": unit, "organization_id": unit.organization_id}
        else:
            orgs = list(lead.organizations.all()[:40])
            place = (
                {"organization": rng.choice(orgs)}
                if orgs
                else {"enterprise_name": "安徽某新办企业", "credit_code": org_demo.credit_code(rng)}
            )
    founded = ""
    if rng.random() < 0.05:
        founded = Founding.SINGLE if rng.random() < 0.8 else Founding.JOINT
    visit = Visit(
        station=station,
        visited_on=day,
        new_economy=rng.random() < 0.2,
        purpose=rng.choice(PURPOSES),
        founded=founded,
        mass_founded=rng.random() < 0.015,
        **place,
    )
    raised = [services.NewProblem(rng.choice(PROBLEMS), lead)] if rng.random() < 0.14 else []
    with clock(at(day, 16, rng.randint(0, 59))):
        services.record_visit(visit=visit, instructors=people, problems=raised, user=lead.user)
    for problem in visit.problems.all():
        helping = day + datetime.timedelta(days=rng.randint(1, 5))
        closed = helping + datetime.timedelta(days=rng.randint(5, 40))
        roll = rng.random()
        end = ProblemState.SOLVED if roll < 0.8 else ProblemState.UNSOLVABLE
        for state, when in ((ProblemState.HELPING, helping), (end, closed)):
            if when >= today:
                break
            with clock(at(when, 11)):
                services.move_problem(
                    problem=problem, state=state, on=when, note=NOTES[state], user=lead.user
                )


def _leave_open(station, instructors, today):
    """Whatever the dice gave, a newcomer finds problems still open and being helped: the
    last working day's visit raised two, one of them taken up the same day."""
    problems = Problem.objects.filter(visit__station=station)
    if (
        problems.filter(state=ProblemState.OPEN).exists()
        and problems.filter(state=ProblemState.HELPING).exists()
    ):
        return
    day = today - datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    lead = instructors[0]
    visit = Visit(
        station=station,
        visited_on=day,
        organization=lead.organizations.first(),
        purpose="回访企业，跟踪问题办理",
    )
    with clock(at(day, 15)):
        services.record_visit(
            visit=visit,
            instructors=[lead],
            problems=[services.NewProblem(text, lead) for text in PROBLEMS[:2]],
            user=lead.user,
        )
        first = visit.problems.order_by("pk")[0]
        services.move_problem(
            problem=first,
            state=ProblemState.HELPING,
            on=day,
            note=NOTES[ProblemState.HELPING],
            user=lead.user,
        )


def _month(rng, station, instructors, monday, today, user):
    """The month's task list issued in its first week, claimed, closed on its last day."""
    first = monday if monday.day == 1 else monday.replace(day=1)
    if first < station.batches.get().starts_on:
        return
    issued = first + datetime.timedelta(
        days=(7 - first.weekday()) % 7 if first.weekday() >= 5 else 0
    )
    if issued > today:
        return
    with clock(at(issued, 10)):
        task_list = services.issue_task_list(
            station=station,
            year=first.year,
            month=first.month,
            titles=rng.sample(TASKS, 5),
            user=user,
        )
    for task in task_list.tasks.all():
        when = issued + datetime.timedelta(days=rng.randint(0, 3))
        if rng.random() < 0.85 and when <= today:
            with clock(at(when, 14)):
                services.claim_task(
                    task=task, instructor=rng.choice(instructors), as_group=rng.random() < 0.4
                )
    _, last = rules.month_bounds(first.year, first.month)
    if last < today:
        feedback = {}
        for task in task_list.tasks.all():
            roll = rng.random()
            result = (
                Feedback.DONE
                if roll < 0.8
                else Feedback.PARTLY
                if roll < 0.95
                else Feedback.NOT_DONE
            )
            feedback[task.pk] = (
                result,
                "" if result == Feedback.DONE else "受企业生产安排影响，下月继续推进",
            )
        with clock(at(last, 17)):
            services.close_task_list(task_list=task_list, feedback=feedback, user=station.head)


def _walk_records(rng, station, instructors, today):
    """Every instructor's weeks since the batch arrived: proposed from the records with the
    briefings and experiences typed in, the older ones certified, the last weeks on their way
    (submitted, tallied, verified), one returned, this week still being filled in."""
    this_monday = rules.monday_of(today)
    first = rules.monday_of(station.batches.get().starts_on)
    items = {}
    for rule_set in station.rule_sets.all():
        for item in rule_set.items.all():
            items[(rule_set.year, item.source)] = item
    leaders = {g.pk: g.leader.user for g in station.groups.select_related("leader__user")}
    monday = first
    while monday <= this_monday:
        age = (this_monday - monday).days // 7
        for person in instructors:
            friday = monday + datetime.timedelta(days=4)
            with clock(at(min(friday, today), 17)):
                record = services.start_week(instructor=person, monday=monday)
                counts = {
                    line.item: (line.count, line.note)
                    for line in record.lines.select_related("item")
                }
                if rng.random() < 0.05:
                    counts[items[(monday.year, Source.BRIEFING)]] = (1, "编写工作简报一期")
                if rng.random() < 0.006:
                    counts[items[(monday.year, Source.EXPERIENCE)]] = (1, "总结典型经验一条")
                services.save_week(
                    record=record,
                    counts=counts,
                    summary="按AB岗安排值守、走访，指导联系党组织开展工作",
                )
            if age == 0:
                continue  # this week: still being filled in
            steps = [
                (StepAction.SUBMIT, person.user, 0),
                (StepAction.TALLY, leaders[person.group_id], 1),
                (StepAction.VERIFY, station.head, 2),
                (StepAction.CERTIFY, station.branch_secretary, 4),
            ]
            if age == 1:
                steps = steps[: 1 + person.pk % 4]  # last week: every step on its way
            elif age == 2 and person == instructors[2]:
                steps = [*steps[:2], (StepAction.RETURN, station.head, 2)]
            for action, actor, offset in steps:
                when = friday + datetime.timedelta(days=offset)
                if when >= today:
                    break
                with clock(at(when, 18)):
                    services.take_step(
                        record=record,
                        user=actor,
                        action=action,
                        comment="走访次数与走访记录不符，请核对"
                        if action == StepAction.RETURN
                        else "",
                    )
        monday += datetime.timedelta(days=7)
