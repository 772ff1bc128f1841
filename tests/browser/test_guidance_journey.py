"""The guidance station in a browser: an instructor records a visit on a phone that raises a
problem and later resolves it; their week goes through the three steps with one return; the
head closes the month's task list with feedback; the office exports the year."""

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from guidance import rules, services
from guidance.models import Problem, ProblemState, RecordState, TaskList, WeekRecord

from .conftest import eventually

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDTH = "() => document.documentElement.scrollWidth"


def switch(page, sign_in, user):
    page.context.clear_cookies()
    return sign_in(user)


def fits_a_phone(page, screenshot, name):
    page.set_viewport_size(PHONE)
    width = page.evaluate(WIDTH)
    if width > PHONE["width"]:
        screenshot(name)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 390 px ({width} px)"


def test_a_visit_a_problem_a_week_through_three_steps_a_closed_month_and_the_year(
    zone, station, sign_in, screenshot, tmp_path
):
    today = timezone.localdate()
    services.create_rule_set(station=station.station, year=today.year)
    services.issue_task_list(
        station=station.station,
        year=today.year,
        month=today.month,
        titles=["走访联系企业", "编写工作简报"],
        user=zone.staff,
    )

    # The instructor, on a phone, records a visit to a1 raising a problem.
    page = sign_in(station.instructor.user)
    assert page.url.endswith("/station/me/")
    assert page.get_by_role("link", name=zone.a1.name).is_visible()
    fits_a_phone(page, screenshot, "guidance-mine")
    page.get_by_role("link", name="记录走访").click()
    fits_a_phone(page, screenshot, "guidance-visit-form")
    page.select_option("#id_organization", label=f"{zone.a1.name}")
    page.fill("#id_purpose", "了解党建工作开展情况")
    page.fill("#id_p-0-text", "企业招工难")
    page.select_option("#id_p-0-owner", label=station.instructor.name)
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_url("**/station/visits/*/")
    assert page.locator(".problem-state").inner_text() == "待办"
    fits_a_phone(page, screenshot, "guidance-visit")

    # It is taken up, and later solved with a note.
    page.select_option("#id_state", "helping")
    page.get_by_role("button", name="更新").click()
    assert page.locator(".problem-state").inner_text() == "帮办中"
    page.select_option("#id_state", "solved")
    page.fill("#id_note", "已对接人社部门招聘会")
    page.get_by_role("button", name="更新").click()
    assert page.locator(".problem-state").inner_text() == "已解决"
    assert Problem.objects.get().state == ProblemState.SOLVED

    # The instructor claims a task, then fills in the week: the visit and the solved problem
    # are proposed from the records; a briefing is typed in.
    page.goto(f"/station/tasks/{today.year}/{today.month}/")
    page.get_by_role("button", name="我来认领").first.click()
    page.goto("/station/me/")
    page.get_by_role("button", name="填写本周记录").click()
    page.wait_for_url("**/edit/")
    fits_a_phone(page, screenshot, "guidance-week-form")
    assert page.locator("#week-form input[name^=count_]").first.input_value() == "1"
    page.get_by_label("4 编写工作简报", exact=False).fill("2")
    page.get_by_role("button", name="保存并提交小组统计").click()
    assert page.locator("#record-state").inner_text() == "待小组统计"
    record = WeekRecord.objects.get(instructor=station.instructor, week=rules.monday_of(today))

    # The group leader tallies it; the head returns it with a comment.
    page = switch(page, sign_in, station.leader.user)
    page.goto("/station/weeks/")
    page.locator("#to-act a").first.click()
    page.get_by_role("button", name="小组统计").click()
    assert page.locator("#record-state").inner_text() == "待站内核实"
    page = switch(page, sign_in, station.head.user)
    page.goto(f"/station/weeks/{record.pk}/")
    page.get_by_role("button", name="退回").click()
    assert "退回时请填写退回意见" in page.content()
    page.fill("#step-comment", "简报只编了一期")
    page.get_by_role("button", name="退回").click()
    assert page.locator("#record-state").inner_text() == "填写中"

    # The instructor corrects and resubmits; leader, head and branch secretary each sign.
    page = switch(page, sign_in, station.instructor.user)
    page.goto(f"/station/weeks/{record.pk}/edit/")
    assert "简报只编了一期" in page.content()
    page.get_by_label("4 编写工作简报", exact=False).fill("1")
    page.get_by_role("button", name="保存并提交小组统计").click()
    for user, button, state in (
        (station.leader.user, "小组统计", "待站内核实"),
        (station.head.user, "站内核实", "待党支部认定"),
        (station.branch.user, "党支部认定", "已认定"),
    ):
        page = switch(page, sign_in, user)
        page.goto(f"/station/weeks/{record.pk}/")
        page.get_by_role("button", name=button).click()
        assert page.locator("#record-state").inner_text() == state
    assert eventually(lambda: WeekRecord.objects.get(pk=record.pk).state == RecordState.CERTIFIED)
    assert page.locator("#steps li").count() == 7

    # The head closes the month with feedback on every task (a note for the partial one).
    page = switch(page, sign_in, station.head.user)
    page.goto(f"/station/tasks/{today.year}/{today.month}/close/")
    fits_a_phone(page, screenshot, "guidance-task-close")
    selects = page.locator("#feedback-form select")
    selects.nth(0).select_option("done")
    selects.nth(1).select_option("partly")
    page.get_by_role("button", name="提交反馈并办结").click()
    assert "未全部完成的任务请说明原因：编写工作简报" in page.content()
    page.locator("#feedback-form input[type=text]").nth(1).fill("只编了一期")
    page.get_by_role("button", name="提交反馈并办结").click()
    assert "已反馈" in page.content()
    assert eventually(lambda: TaskList.objects.get().is_closed)

    # The office exports the year's points and grades.
    page = switch(page, sign_in, zone.staff)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/station/points/{today.year}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    mine = next(row for row in rows[2:] if row[1] == station.instructor.name)
    # One visit (1.0), one solved problem (2.0), one briefing (1.0).
    assert mine[-3] == 4.0
