"""A zone goes live by its office: staff download the registry template, fill in three
organizations with openpyxl, upload it, check the preview, confirm and print the new
secretaries' slips; one secretary signs in on a phone with the slip's password, is made to
choose their own and lands on their organization's page."""

import datetime

import openpyxl
import pytest
from playwright.sync_api import expect

from orgs import registry
from orgs.models import Organization, Role, User
from orgs.services import create_zone
from tests.conftest import make_user

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WIDTH = "() => document.documentElement.scrollWidth"


def fill(template, saved):
    """The three organizations an office would type into the template."""
    workbook = openpyxl.load_workbook(template)
    ws = workbook[registry.ORG_SHEET]
    for row in (
        [
            "XQ-01",
            "新区非公企业党委",
            "非公党委",
            "党委",
            "非公企业",
            "XQ",
            30,
            "2012-03-01",
            "否",
            "B",
            "周红",
            "13700000001",
            "2027-03-01",
            "在用",
        ],
        [
            "XQ-01-001",
            "新区恒达科技有限公司党支部",
            "恒达科技",
            "党支部",
            "非公企业",
            "XQ-01",
            12,
            "2016-07-01",
            "是",
            "A",
            "吴刚",
            "13700000002",
            None,
            None,
        ],
        [
            "XQ-01-002",
            "新区第一联合党支部",
            "联合一支部",
            "联合党支部",
            "非公企业",
            "XQ-01",
            8,
            "2019-05-04",
            None,
            "C",
            "郑敏",
            13700000003,
            None,
            None,
        ],
    ):
        ws.append(row)
    units = workbook[registry.UNIT_SHEET]
    units.append(["XQ-01-001", "新区恒达科技有限公司", "91110108551385082Q", "非公企业", 260])
    units.append(["XQ-01-002", "新区瑞丰包装有限公司", None, "非公企业", None])
    workbook.save(saved)


def test_the_office_brings_a_new_zone_up_from_a_filled_registry(
    db, page, browser, live_server, sign_in, screenshot, tmp_path
):
    zone = create_zone(
        name="新区",
        code="XQ",
        region=None,
        root_name="新区党工委",
        root_short_name="党工委",
        root_members=9,
        root_founded_on=datetime.date(2001, 1, 1),
        admin_username="xqadmin",
        admin_name="首位管理员",
        admin_password="a-long-test-password",
    )
    staff = make_user("xqstaff", Role.STAFF, zone=zone)
    page.add_init_script("window.print = () => { window.__printed = true; };")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(staff)
    page.goto("/orgs/")
    page.get_by_role("link", name="名册导入/导出").click()
    expect(page.get_by_role("heading", name="党组织名册")).to_be_visible()
    screenshot("registry-upload")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载空白模板").click()
    template = tmp_path / "模板.xlsx"
    download.value.save_as(template)
    filled = tmp_path / "新区党组织名册.xlsx"
    fill(template, filled)

    page.get_by_label("党组织名册（.xlsx）").set_input_files(filled)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", name="名册导入预览")).to_be_visible()
    expect(page.locator("#count-created")).to_have_text("3")
    expect(page.locator("#count-accounts")).to_have_text("3")
    expect(page.locator("#registry-created tbody tr")).to_have_count(3)
    assert not Organization.objects.filter(zone=zone, code="XQ-01").exists()
    screenshot("registry-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(WIDTH) <= 390
    page.set_viewport_size({"width": 1366, "height": 768})

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", name="书记账号开通通知单")).to_be_visible()
    slips = page.locator(".slip")
    expect(slips).to_have_count(3)
    expect(slips.first).to_contain_text("新区非公企业党委")
    passwords = {}
    for index in range(3):
        secret = slips.nth(index).locator(".slip-secret")
        passwords[secret.nth(0).inner_text().strip()] = secret.nth(1).inner_text().strip()
    assert set(passwords) == {"13700000001", "13700000002", "13700000003"}
    screenshot("registry-slips")
    page.get_by_role("button", name="打印通知单").click()
    assert page.evaluate("() => window.__printed") is True
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel").click()
    saved = tmp_path / "slips.xlsx"
    download.value.save_as(saved)
    cells = [c.value for row in openpyxl.load_workbook(saved).active.iter_rows() for c in row]
    assert all(password in cells for password in passwords.values())
    branch = Organization.objects.get(zone=zone, code="XQ-01-001")
    assert branch.parent().code == "XQ-01" and branch.is_demo_point
    assert branch.covered_units.get().credit_code == "91110108551385082Q"

    # A new secretary, on a phone, with the slip's password.
    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    secretary = phone.new_page()
    secretary.goto("/accounts/login/")
    secretary.get_by_label("用户名").fill("13700000002")
    secretary.get_by_label("密码").fill(passwords["13700000002"])
    secretary.get_by_role("button", name="登录").click()
    expect(secretary.get_by_role("heading", name="设置新密码")).to_be_visible()
    secretary.get_by_label("初始密码").fill(passwords["13700000002"])
    secretary.locator("#id_new_password1").fill("Hongling-2026-new")
    secretary.get_by_label("新密码确认").fill("Hongling-2026-new")
    secretary.get_by_role("button", name="设置新密码").click()
    expect(secretary.get_by_role("heading", name=branch.name)).to_be_visible()
    assert secretary.evaluate(WIDTH) <= 390
    secretary.screenshot(path=str(ARTIFACTS / "registry-secretary-phone.png"), full_page=True)
    phone.close()
    assert not User.objects.get(username="13700000002").must_change_password


def test_a_refused_registry_names_its_bad_cells_on_the_page(
    zone, sign_in, page, screenshot, tmp_path
):
    sign_in(zone.staff)
    page.goto("/orgs/registry/")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出本区名册").click()
    exported = tmp_path / "导出.xlsx"
    download.value.save_as(exported)
    workbook = openpyxl.load_workbook(exported)
    ws = workbook[registry.ORG_SHEET]
    ws.append(["A-9", "甲九支部", "甲九", "党支部", "企业", "NOPE", 2, "2015-02-30"])
    workbook.save(exported)
    page.get_by_label("党组织名册（.xlsx）").set_input_files(exported)
    page.get_by_role("button", name="上传并预览").click()
    problems = page.locator("#registry-problems tbody tr")
    expect(problems).to_have_count(4)
    expect(page.locator("#registry-problems")).to_contain_text(
        "上级组织编码在本文件和本区系统中都不存在"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(WIDTH) <= 390
    screenshot("registry-refused-phone")
