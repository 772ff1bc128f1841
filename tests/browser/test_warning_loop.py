"""The whole 以查促改 loop on the demo zone, in a browser."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from orgs.demo import DEMO_PASSWORD
from orgs.models import Organization
from scoring import rules
from scoring.models import Notice, Rectification, Status

from ..files import pdf_bytes

pytestmark = pytest.mark.browser


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def log_out(page):
    page.context.clear_cookies()


def test_warnings_are_published_reported_returned_and_accepted(page, screenshot, tmp_path):
    today = timezone.localdate()
    year, quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    # The zone as it stood a few days after that quarter ended: its notice not yet out.
    as_of = rules.quarter_end(year, quarter) + datetime.timedelta(days=4)
    call_command("load_demo_zone", as_of=as_of, stdout=StringIO())

    log_in(page, "staff")
    page.get_by_role("link", name="季度预警").click()
    expect(page.get_by_role("heading", name=f"{year}年第{quarter}季度 积分预警")).to_be_visible()
    red = int(page.locator('[data-level-count="3"]').inner_text())
    assert red > 0
    page.get_by_label("预警等级").select_option("3")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#warnings tbody tr")).to_have_count(min(red, 50))
    screenshot("warnings-before-publishing")

    page.get_by_role("link", name="发布预警通报").click()
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_role("alert").filter(has_text="个组织已收到整改任务")).to_be_visible()
    notice = Notice.objects.get(year=year, quarter=quarter)
    expect(page.get_by_text(notice.label).first).to_be_visible()
    page.get_by_role("link", name="打印通报").click()
    expect(page.get_by_role("heading", name=notice.title)).to_be_visible()
    screenshot("notice-printable")

    task = (
        Rectification.objects.filter(warning__notice=notice)
        .order_by("warning__organization__path")
        .first()
    )
    org = task.warning.organization
    log_out(page)
    log_in(page, org.secretary.username)
    expect(page.get_by_role("heading", name=org.name)).to_be_visible()
    expect(page.get_by_text("待完成的整改")).to_be_visible()
    screenshot("secretary-status")
    page.get_by_role("link", name="填写整改报告").click()
    page.get_by_label("整改措施和成效").fill("召开专题组织生活会，逐项补齐“三会一课”记录。")
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(pdf_bytes())
    page.get_by_label("附件（可选）").set_input_files(str(report))
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("整改报告已提交，等待党建办审核。")).to_be_visible()

    log_out(page)
    log_in(page, "staff")
    page.goto(f"/rectifications/{task.pk}/")
    page.get_by_label("审核意见（退回时必填）").fill("请补充会议照片等佐证材料。")
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_text("已退回，书记修改后可重新提交。")).to_be_visible()

    log_out(page)
    log_in(page, org.secretary.username)
    page.goto(f"/rectifications/{task.pk}/")
    expect(
        page.get_by_text("退回意见：请补充会议照片等佐证材料。（请修改后重新提交）")
    ).to_be_visible()
    page.get_by_label("整改措施和成效").fill("已补充会议照片和签到表。")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("整改报告已提交，等待党建办审核。")).to_be_visible()

    log_out(page)
    log_in(page, "staff")
    page.goto(f"/rectifications/{task.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="同意销号").click()
    expect(page.get_by_text("已销号。")).to_be_visible()
    screenshot("rectification-accepted")
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED

    # Another secretary who signs in with the demo password (the freshly onboarded one still
    # has only a one-time password).
    other = (
        Organization.objects.scored()
        .exclude(pk=org.pk)
        .filter(secretary__isnull=False, secretary__must_change_password=False)
        .last()
    )
    log_out(page)
    log_in(page, other.secretary.username)
    for url in (
        f"/rectifications/{task.pk}/",
        f"/rectifications/{task.pk}/attachment/",
        f"/status/{org.pk}/",
    ):
        response = page.goto(url)
        assert response.status == 404, url
