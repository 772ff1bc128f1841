"""The office runs its month from the dashboard, on the demo zone, in a browser."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import demo, figures
from dashboard.models import CompletionMark, Notification
from orgs.demo import DEMO_PASSWORD, ROOT_CODE
from orgs.models import Zone
from scoring import demo as scoring_demo

pytestmark = pytest.mark.browser


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Until the next page has arrived, the login page's own elements still answer.
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def test_the_office_finds_who_is_missing_enters_them_and_marks_the_rest(page, screenshot):
    call_command("load_demo_zone", stdout=StringIO())
    zone = Zone.objects.get(code=ROOT_CODE)
    demo.mark_entered_months(seed=2026, zone=zone, user=scoring_demo.demo_user(zone))

    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "staff")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.locator("#zone-rate")).to_contain_text("%")
    expect(page.locator("#completeness-map tbody tr")).to_have_count(50)
    assert page.locator(".chart svg").count() == 4
    screenshot("dashboard-staff-1366")

    # A missing organization opens in the month grid, narrowed to it (a committee's code
    # begins its branches' codes: they follow it, below its row).
    first = page.locator(".missing-list a").nth(1)
    name = first.inner_text()
    first.click()
    rows = page.locator(".pb-grid tbody tr[data-org]")
    expect(rows.first.locator(f'a[title^="{name}（"]')).to_be_visible()
    assert rows.count() <= 3

    page.go_back()
    page.get_by_role("link", name="逐个查看、标记已录完").click()
    today = timezone.localdate()
    year, month = figures.working_month(zone, today, figures.zone_rule_sets(zone, today))
    before = CompletionMark.objects.filter(year=year, month=month).count()
    # The first list with organizations still to enter (partly, or not at all).
    form = page.locator('form:has(input[name="organizations"][type="checkbox"])').first
    boxes = form.locator('input[name="organizations"][type="checkbox"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    form.get_by_role("button", name="将勾选的组织标记为本月已录完").click()
    expect(page.get_by_role("alert").filter(has_text="标记为已录完")).to_be_visible()
    assert CompletionMark.objects.filter(year=year, month=month).count() == before + 2


def test_a_committee_viewer_reads_their_subtree_on_a_phone(page, screenshot):
    call_command("load_demo_zone", stdout=StringIO())
    zone = Zone.objects.get(code=ROOT_CODE)
    demo.mark_entered_months(seed=2026, zone=zone, user=scoring_demo.demo_user(zone))

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "viewer")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_text("查看数据").first.click()
    expect(page.locator("#month-table")).to_be_visible()
    screenshot("dashboard-viewer-390")

    # Every role has its notices in the menu; a secretary's lead to their tasks.
    task_notice = Notification.objects.filter(
        user__role="secretary", read_at__isnull=True, url__startswith="/rectifications/"
    ).first()
    log_in(page, task_notice.user.username)
    page.get_by_role("button", name="展开菜单").click()
    link = page.locator("#notices-link")
    expect(link).to_be_visible()
    # Followed by its address: under the full suite's load, a click while the phone's menu
    # was still unfolding twice left the page where it was.
    page.goto(link.get_attribute("href"))
    page.get_by_text(task_notice.title).first.click()
    expect(page.get_by_role("heading").first).to_be_visible()
    assert "/rectifications/" in page.url
