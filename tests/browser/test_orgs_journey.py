import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_staff_filter_the_organization_list_by_tier(zone, sign_in, screenshot):
    page = sign_in(zone.staff)
    # Staff land on the dashboard; the organization list is in the menu.
    expect(page).to_have_url(f"{page.url.split('/dashboard/')[0]}/dashboard/")
    page.get_by_role("button", name="组织管理").click()
    page.get_by_role("link", name="党组织列表").click()
    expect(page.get_by_role("heading", name="党组织")).to_be_visible()
    page.get_by_label("年度").fill("2025")
    page.get_by_label("分类", exact=True).select_option("C")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("甲二支部")
    assert screenshot("orgs-list-filtered").exists()


def test_a_secretary_lands_on_their_own_organization(zone, sign_in):
    page = sign_in(zone.secretary)
    expect(page.get_by_role("heading", name="甲一支部")).to_be_visible()
    page.goto(f"/orgs/{zone.b1.pk}/")
    expect(page.get_by_role("heading", name="页面不存在（404）")).to_be_visible()
