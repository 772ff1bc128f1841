"""The 一本通 in a browser: a secretary on a 390 px phone records an activity with a photo and
submits it; staff award one record and return another; the grid shows the awarded points and
the records; the secretary sees both outcomes. Then a warned secretary appeals a published
quarter and staff accept it through a month reopen, the published notice unchanged."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from records.models import Appeal, AppealState, State, WorkRecord
from records.services import Draft, save_record, submit_record
from scoring import rules
from scoring.models import Notice, Period, RuleSet
from scoring.services.notices import publish_notice
from scoring.services.rulesets import create_rule_set

from ..files import image_bytes
from .test_phone import MEASURE

pytestmark = pytest.mark.browser


@pytest.fixture
def this_year(zone, rule_set):
    return create_rule_set(
        zone=zone.zone, year=timezone.localdate().year, user=zone.admin, copy_from=rule_set
    )


def fits_the_phone(page):
    measured = page.evaluate(MEASURE)
    assert measured["width"] <= 390, f"{page.url} scrolls sideways: {measured['width']}px"
    assert measured["small"] == [], f"{page.url} has text under 12 px: {measured['small']}"


def test_a_record_is_made_on_a_phone_reviewed_and_shown_in_the_grid(
    zone, this_year, sign_in, screenshot, tmp_path, browser, live_server
):
    today = timezone.localdate()
    items = {item.code: item for item in this_year.items.all()}
    page = sign_in(zone.secretary)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/records/")
    expect(
        page.get_by_role("heading", name=f"{today.year}年{today.month}月 工作记录")
    ).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("link", name="＋ 记录工作").click()
    page.get_by_label("工作小项").select_option(str(items["2.2"].pk))
    expect(page.locator(f'[data-standard="{items["2.2"].pk}"]')).to_be_visible()
    page.get_by_label("活动名称").fill("主题党日：重温入党誓词")
    page.get_by_label("参加人员").fill("全体党员 12 人")
    page.get_by_label("活动内容").fill("组织党员重温入党誓词，交流学习体会。")
    page.get_by_label("自评分（可选）").fill("1")
    picture = tmp_path / "现场.jpg"
    picture.write_bytes(image_bytes("JPEG", size=(1200, 900)))
    page.get_by_label("佐证材料（可多选）").set_input_files(str(picture))
    fits_the_phone(page)
    screenshot("record-form-phone")
    page.get_by_role("button", name="保存并提交").click()
    expect(page.locator("#outcome")).to_contain_text("已提交，等待党建办审核")
    expect(page.locator(".record-thumbs img")).to_have_count(1)
    fits_the_phone(page)
    screenshot("record-submitted-phone")
    first = WorkRecord.objects.get()
    assert first.state == State.SUBMITTED and first.attachments.get().thumbnail
    # A second record of the same month, made and submitted the same way.
    second = submit_record(
        record=save_record(
            organization=zone.a1,
            user=zone.secretary,
            draft=Draft(items["2.1"], today, "支委会", "支委 5 人", "研究发展党员工作。", None),
        ),
        user=zone.secretary,
    )

    staff_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 768}
    )
    staff = staff_context.new_page()
    from tests.conftest import PASSWORD

    staff.goto("/accounts/login/")
    staff.get_by_label("用户名").fill(zone.staff.username)
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.goto(f"/records/review/{today.year}/{today.month}/")
    row = staff.locator(f'tr[data-org="{zone.a1.pk}"]')
    expect(row).to_contain_text("甲一支部")
    row.get_by_role("link", name="审核").click()
    rows = staff.locator(".review-row")
    one = rows.filter(has_text=first.label)
    two = rows.filter(has_text=second.label)
    one.get_by_label("决定").select_option("award")
    one.get_by_label("分值").fill("1")
    two.get_by_label("决定").select_option("return")
    two.get_by_label("意见（退回时必填）").fill("请补充会议记录照片")
    staff.get_by_role("button", name="保存审核").click()
    expect(staff.get_by_role("alert").filter(has_text="采纳 1 条，退回 1 条")).to_be_visible()

    staff.goto(f"/points/{today.year}/{today.month}/")
    row = staff.locator(f'tr[data-org="{zone.a1.pk}"]')
    column = [item.pk for item in this_year.ordered_items()].index(items["2.2"].pk)
    cell = row.locator("td.c").nth(column)
    expect(cell.locator("input.cell")).to_have_value("1.0")
    link = cell.locator("a.rec")
    expect(link).to_have_text("1")
    assert link.get_attribute("title") == "1 条工作记录，已采纳 1 条"
    staff.goto(link.get_attribute("href"))
    expect(staff.get_by_text(first.label)).to_be_visible()
    staff_context.close()

    page.goto(f"/records/org/{zone.a1.pk}/{today.year}/{today.month}/")
    expect(page.get_by_text("采纳 1.0 分")).to_be_visible()
    expect(page.get_by_text("退回意见：请补充会议记录照片")).to_be_visible()
    fits_the_phone(page)
    screenshot("record-outcomes-phone")
    page.goto(f"/records/{first.pk}/")
    expect(page.locator("#edit-record")).to_have_count(0)
    expect(page.locator("#outcome")).to_contain_text("已采纳，记 1.0 分")


def test_a_warned_secretary_appeals_and_staff_accept_through_a_reopen(
    zone, this_year, sign_in, screenshot
):
    today = timezone.localdate()
    year, quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    if not RuleSet.objects.filter(zone=zone.zone, year=year).exists():
        # In January to March the quarter appealed is last year's: its rule set is needed too.
        create_rule_set(zone=zone.zone, year=year, user=zone.admin, copy_from=this_year)
    notice = publish_notice(
        zone=zone.zone,
        year=year,
        quarter=quarter,
        number=1,
        published_on=today,
        title=f"关于{year}年第{quarter}季度积分预警情况的通报",
        text="现通报如下。",
        user=zone.staff,
    )
    page = sign_in(zone.secretary)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/status/{zone.a1.pk}/")
    page.locator("#appeal-new").click()
    fits_the_phone(page)
    page.get_by_label("申诉理由").fill("季度末月的主题党日已开展但未记分，签到表附后。")
    page.get_by_role("button", name="提交申诉").click()
    expect(page.get_by_text("申诉已提交")).to_be_visible()
    fits_the_phone(page)
    appeal = Appeal.objects.get()

    page.context.clear_cookies()
    sign_in(zone.staff)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/records/appeals/")
    page.get_by_role("link", name="处理", exact=True).click()
    page.get_by_label("采纳（重新开放月份更正积分）").check()
    last_month = quarter * 3
    page.get_by_label("需要更正的月份").select_option(str(last_month))
    page.get_by_label("处理意见").fill("核实属实，请更正该月主题党日积分")
    page.get_by_role("button", name="提交处理结果").click()
    expect(page.locator("#appeal-outcome")).to_contain_text("已采纳")
    screenshot("appeal-accepted")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.ACCEPTED
    period = Period.objects.get(zone=zone.zone, year=year, month=last_month)
    assert not period.closed and period.reason.startswith(appeal.label)
    after = Notice.objects.get(pk=notice.pk)
    assert (after.text, after.title, after.warnings.count()) == (
        notice.text,
        notice.title,
        notice.warnings.count(),
    )

    page.context.clear_cookies()
    sign_in(zone.secretary)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/warnings/{year}/{quarter}/notice/")
    expect(page.locator("article")).to_contain_text("现通报如下。")
    expect(page.locator("#notice-appeals")).to_contain_text("核实属实")
    fits_the_phone(page)
    page.goto("/notices/")
    expect(page.get_by_text("申诉已采纳")).to_be_visible()
    screenshot("appeal-outcome-phone")
