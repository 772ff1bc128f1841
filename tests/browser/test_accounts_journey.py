"""Account care as the office does it: staff reset a secretary's password and print the slip;
the secretary signs in with the one-time password, is made to choose their own and lands on
their organization's page. On a 390 px phone neither the slip nor the forced change scrolls
sideways."""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from orgs.models import User

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WIDTH = "() => document.documentElement.scrollWidth"


def test_staff_reset_a_secretarys_password_and_the_secretary_chooses_their_own(
    zone, sign_in, page, browser, live_server, screenshot, tmp_path
):
    # Printing is the browser's dialog: noted here instead of opened.
    page.add_init_script("window.print = () => { window.__printed = true; };")
    sign_in(zone.staff)
    page.get_by_role("link", name="账号管理").click()
    expect(page.get_by_role("heading", name="账号管理")).to_be_visible()
    page.get_by_label("姓名、用户名或手机号").fill("secretary")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#accounts tbody tr")).to_have_count(1)
    screenshot("accounts-list")
    page.locator("#accounts").get_by_role("link", name=zone.secretary.display_name).click()
    expect(page.get_by_role("heading", name=zone.secretary.display_name)).to_be_visible()
    screenshot("accounts-account")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重置密码").click()
    expect(page.get_by_role("heading", name=re.compile("已重置"))).to_be_visible()
    slip = page.locator(".slip")
    expect(slip).to_have_count(1)
    expect(slip).to_contain_text(zone.a1.name)
    expect(slip).to_contain_text("secretary")
    password = slip.locator(".slip-secret").nth(1).inner_text().strip()
    assert len(password) == 10
    assert User.objects.get(pk=zone.secretary.pk).check_password(password)
    screenshot("accounts-slip")
    page.get_by_role("button", name="打印通知单").click()
    assert page.evaluate("() => window.__printed") is True
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel").click()
    saved = tmp_path / "slips.xlsx"
    download.value.save_as(saved)
    cells = [c.value for row in openpyxl.load_workbook(saved).active.iter_rows() for c in row]
    assert password in cells and zone.a1.name in cells

    # The secretary, on a phone.
    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    secretary = phone.new_page()
    secretary.goto("/accounts/login/")
    secretary.get_by_label("用户名").fill("secretary")
    secretary.get_by_label("密码").fill(password)
    secretary.get_by_role("button", name="登录").click()
    expect(secretary.get_by_role("heading", name="设置新密码")).to_be_visible()
    assert secretary.evaluate(WIDTH) <= 390
    secretary.screenshot(path=str(ARTIFACTS / "accounts-forced-change-phone.png"), full_page=True)
    # Every page sends them back here until the password is their own.
    secretary.goto(f"/status/{zone.a1.pk}/")
    expect(secretary.get_by_role("heading", name="设置新密码")).to_be_visible()
    secretary.get_by_label("初始密码").fill(password)
    secretary.locator("#id_new_password1").fill("Hongling-2026-new")
    secretary.get_by_label("新密码确认").fill("Hongling-2026-new")
    secretary.get_by_role("button", name="设置新密码").click()
    expect(secretary.get_by_role("heading", name=zone.a1.name)).to_be_visible()
    expect(secretary.get_by_text("新密码已设置")).to_be_visible()
    assert secretary.evaluate(WIDTH) <= 390
    phone.close()
    assert not User.objects.get(pk=zone.secretary.pk).must_change_password


def test_the_slip_page_fits_a_phone(zone, sign_in, page, screenshot):
    sign_in(zone.staff)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/users/{zone.secretary.pk}/")
    assert page.evaluate(WIDTH) <= 390
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重置密码").click()
    expect(page.locator(".slip")).to_have_count(1)
    assert page.evaluate(WIDTH) <= 390
    screenshot("accounts-slip-phone")
