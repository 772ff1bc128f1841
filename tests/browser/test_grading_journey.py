"""Finalizing the demo zone's last year, confirming next year's tiers, the grade sheet."""

import datetime
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from orgs.demo import DEMO_PASSWORD
from scoring.models import AnnualResult
from scoring.sheets.grades import COLUMNS as GRADE_COLUMNS

pytestmark = pytest.mark.browser


def test_staff_finalize_last_year_override_one_tier_and_download_the_sheet(
    page, screenshot, tmp_path
):
    year = timezone.localdate().year - 1
    # The zone as it stood in early January, before grading last year.
    call_command("load_demo_zone", as_of=datetime.date(year + 1, 1, 12), stdout=StringIO())
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="年度定级").click()
    expect(page.get_by_role("heading", name=f"{year}年度 综评定级")).to_be_visible()
    expect(page.locator("#distribution")).to_contain_text("合计")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="定级（保存年度结果）").click()
    expect(page.get_by_text(f"{year} 年度已定级")).to_be_visible()
    screenshot("grading-finalized")
    assert AnnualResult.objects.filter(year=year).count() == 304

    page.get_by_role("link", name="确认下年分类").click()
    row = page.locator("#tier-proposals tbody tr").first
    org_name = row.locator("td").nth(1).inner_text().splitlines()[0]
    proposed = AnnualResult.objects.filter(year=year).order_by("rank", "organization_id").first()
    new_tier = "B" if proposed.proposed_tier != "B" else "A"
    row.get_by_role("combobox").select_option(new_tier)
    row.get_by_placeholder("调整原因（改动时必填）").fill("经党工委研究，暂缓升级")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存调整。")).to_be_visible()
    expect(page.locator("#changed-count")).to_have_text("1")
    screenshot("tier-proposals")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认全部 304 个组织的下年分类").click()
    expect(page.get_by_text(f"{year + 1} 年度分类已确认，并记入各组织的分类记录。")).to_be_visible()

    page.goto(f"/grading/{year}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载评级表（Excel）").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert download.value.suggested_filename == f"{year}年度评级表.xlsx"
    ws = openpyxl.load_workbook(path)["年度评级表"]
    assert ws["A1"].value == f"六安开发区{year}年度基层党组织积分制管理评级表"
    assert [c.value for c in ws[3]] == [name for name, _ in GRADE_COLUMNS]
    assert ws.max_row == 3 + 304
    first = [c.value for c in ws[4]]
    assert (first[0], first[2], first[13]) == (1, proposed.organization.name, 1)
    assert first[16] == f"{proposed.proposed_tier}类"
    assert f"调整为{new_tier}类：经党工委研究，暂缓升级" in first[19]
    assert {c.value for c in ws["P"][3:]} <= {"一档", "二档", "三档"}

    page.goto(f"/orgs/{proposed.organization_id}/")
    history = page.locator("#tier-history")
    expect(history).to_contain_text("经党工委研究，暂缓升级")
    expect(history).to_contain_text("年度定级")
    assert org_name == proposed.organization.name
