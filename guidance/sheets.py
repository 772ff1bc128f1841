"""The station's Excel sheets: the instructors' annual points and grades, the visits and the
problems list. Written with partybuild.xlsx, so nothing typed can become a formula."""

import datetime

from openpyxl import Workbook

from partybuild import xlsx

from . import queries
from .models import InstructorRuleSet, Problem, Station, Visit


def _sheet(workbook, title, heading, columns):
    ws = workbook.create_sheet(title)
    xlsx.printable(ws, widths=[w for _, w in columns], header_row=2, frozen="A3")
    ws.append([xlsx.text(ws, heading, font=xlsx.TITLE)])
    ws.append(xlsx.header(ws, [name for name, _ in columns]))
    return ws


def instructors(rule_set: InstructorRuleSet) -> bytes:
    items = list(rule_set.items.all())
    columns = [
        ("序号", 6),
        ("姓名", 10),
        ("选派来源", 8),
        ("专兼职", 7),
        ("指导组", 12),
        ("批次", 10),
        *((f"{i.code} {i.name}（上限{i.yearly_cap}）", 12) for i in items),
        ("年度积分", 9),
        ("等次", 7),
        ("未认定周记录", 9),
    ]
    workbook = Workbook(write_only=True)
    station = rule_set.station
    ws = _sheet(
        workbook, "指导员积分", f"{station.name} {rule_set.year}年度党建指导员积分和等次", columns
    )
    for n, row in enumerate(queries.year_rows(rule_set), start=1):
        i = row.instructor
        ws.append(
            [
                n,
                xlsx.text(ws, i.name),
                i.get_origin_display(),
                i.get_employment_display(),
                xlsx.text(ws, i.group.name if i.group else ""),
                xlsx.text(ws, i.batch.name),
                *(xlsx.one_decimal(ws, float(row.points.get(item.code, 0))) for item in items),
                xlsx.one_decimal(ws, float(row.total)),
                row.grade,
                row.pending,
            ]
        )
    return xlsx.to_bytes(workbook)


def visits(station: Station, start: datetime.date, end: datetime.date) -> bytes:
    columns = [
        ("走访日期", 11),
        ("指导员", 18),
        ("党组织", 28),
        ("覆盖单位/企业", 28),
        ("统一社会信用代码", 20),
        ("新业态新就业群体", 9),
        ("走访事由", 30),
        ("组建党组织", 9),
        ("组建群团组织", 9),
        ("问题和需求数", 8),
    ]
    workbook = Workbook(write_only=True)
    ws = _sheet(workbook, "走访记录", f"{station.name} 走访记录（{start} 至 {end}）", columns)
    rows = (
        Visit.objects.filter(station=station)
        .between(start, end)
        .select_related("organization", "covered_unit")
        .prefetch_related("instructors", "problems")
        .order_by("visited_on", "pk")
    )
    for visit in rows:
        unit = visit.covered_unit
        ws.append(
            [
                visit.visited_on,
                xlsx.text(ws, "、".join(i.name for i in visit.instructors.all())),
                xlsx.text(ws, visit.organization.name if visit.organization else ""),
                xlsx.text(ws, unit.name if unit else visit.enterprise_name),
                xlsx.text(ws, unit.credit_code if unit else visit.credit_code),
                "是" if visit.new_economy else "",
                xlsx.text(ws, visit.purpose),
                visit.get_founded_display() if visit.founded else "",
                "是" if visit.mass_founded else "",
                len(visit.problems.all()),
            ]
        )
    return xlsx.to_bytes(workbook)


def problems(station: Station, start: datetime.date, end: datetime.date) -> bytes:
    columns = [
        ("提出日期", 11),
        ("企业/单位", 28),
        ("问题或需求", 40),
        ("责任人", 10),
        ("状态", 9),
        ("开始帮办", 11),
        ("办结日期", 11),
        ("办理情况", 40),
    ]
    workbook = Workbook(write_only=True)
    ws = _sheet(
        workbook, "问题和需求", f"{station.name} 企业问题和需求（{start} 至 {end}）", columns
    )
    rows = (
        Problem.objects.filter(visit__station=station, raised_on__range=(start, end))
        .select_related("owner", "visit__organization", "visit__covered_unit")
        .order_by("raised_on", "pk")
    )
    for problem in rows:
        ws.append(
            [
                problem.raised_on,
                xlsx.text(ws, problem.visit.place),
                xlsx.text(ws, problem.text),
                xlsx.text(ws, problem.owner.name),
                problem.get_state_display(),
                problem.helping_on,
                problem.closed_on,
                xlsx.text(ws, problem.note),
            ]
        )
    return xlsx.to_bytes(workbook)
