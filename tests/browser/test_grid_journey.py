"""Entering a month from the keyboard, pasting from Excel, and two people editing one cell."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from scoring.models import PointEntry, Scorecard
from tests.browser.conftest import eventually
from tests.conftest import PASSWORD, make_org

pytestmark = pytest.mark.browser


def cell(page, org, item, month=3):
    """The input of (org, item, month) on the month grid or on the org's record sheet."""
    columns = page.locator("thead th[data-item]").evaluate_all(
        "ths => ths.map(th => th.dataset.item)"
    )
    index = columns.index(str(item.pk))
    row = page.locator(f'tr[data-org="{org.pk}"], tr[data-month="{month}"]')
    return row.locator("input.cell").nth(index)


def paste(locator, text):
    locator.focus()
    locator.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def value_of(org, item, month=3):
    entry = PointEntry.objects.filter(organization=org, item=item, year=2025, month=month).first()
    return entry and entry.points


def test_staff_enter_points_from_the_keyboard(zone, items, sign_in, screenshot):
    page = sign_in(zone.staff)
    page.goto("/points/2025/3/")
    first = cell(page, zone.a1, items["2.1"])
    first.click()
    expect(page.locator("#fb-label")).to_have_text("甲一支部 · 2.1 “三会一课” · 3月")
    expect(page.locator("#fb-cap")).to_contain_text("季度上限 3.0 分")
    page.keyboard.type("1.5")
    page.keyboard.press("Enter")
    expect(cell(page, zone.a2, items["2.1"])).to_be_focused()
    page.keyboard.type("３")  # a full-width digit from a Chinese IME
    page.keyboard.press("Tab")
    expect(cell(page, zone.a2, items["2.2"])).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("ArrowUp")
    expect(cell(page, zone.a1, items["2.2"])).to_be_focused()
    expect(page.locator("#fb-status")).to_have_text("已保存")
    row = page.locator(f'tr[data-org="{zone.a2.pk}"]')
    expect(row.locator("td.to-date")).to_have_text("5.0")
    assert (value_of(zone.a1, items["2.1"]), value_of(zone.a2, items["2.1"])) == (D("1.5"), D("3"))
    assert Scorecard.objects.get(organization=zone.a2, year=2025).q1 == 5

    page.keyboard.type("9")
    page.keyboard.press("Enter")
    bad = cell(page, zone.a1, items["2.2"])
    expect(bad).to_have_class("cell is-invalid")
    expect(page.locator("#grid-errors")).to_contain_text(
        "甲一支部 · 2.2 主题党日 · 3月：超过季度上限 2.0 分"
    )
    expect(bad).to_have_attribute(
        "title",
        "甲一支部 · 2.2 主题党日 · 3月：超过季度上限 2.0 分（本季度其他月份已记 0.0 分，本月最多 2.0 分）",
    )
    assert value_of(zone.a1, items["2.2"]) is None
    screenshot("grid-typing-error")
    bad.click()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#fb-status")).to_have_text("已保存")
    expect(page.locator("#grid-errors")).to_be_hidden()
    assert value_of(zone.a1, items["2.2"]) == D("2")


def test_staff_paste_a_block_copied_from_excel(zone, items, sign_in, screenshot):
    page = sign_in(zone.staff)
    page.goto("/points/2025/3/")
    paste(cell(page, zone.a1, items["1.1"]), "1.5\t1\t1.5\r\n1\t0.5\t１\r\n")
    expect(page.locator("#fb-status")).to_have_text("已保存")
    assert [value_of(zone.a1, items[c]) for c in ("1.1", "1.2", "1.3")] == [
        D("1.5"),
        D("1"),
        D("1.5"),
    ]
    assert [value_of(zone.a2, items[c]) for c in ("1.1", "1.2", "1.3")] == [
        D("1"),
        D("0.5"),
        D("1"),
    ]
    expect(page.locator(f'tr[data-org="{zone.a1.pk}"] td.to-date')).to_have_text("4.0")

    paste(cell(page, zone.b1, items["1.1"]), "1\tx\t1")
    expect(page.locator("#grid-errors")).to_contain_text(
        "乙一支部 · 1.2 发展党员 · 3月：“x”不是有效的分值"
    )
    expect(page.locator("#fb-status")).to_contain_text("未保存")
    assert value_of(zone.b1, items["1.1"]) is None  # the whole block waits for the bad cell
    screenshot("grid-paste-error")


def test_a_second_save_of_the_same_cell_is_refused_showing_the_current_value(
    zone, items, browser, live_server, sign_in
):
    mine = sign_in(zone.staff)
    mine.goto("/points/2025/3/")
    other_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    theirs = other_context.new_page()
    theirs.goto("/accounts/login/")
    theirs.get_by_label("用户名").fill(zone.admin.username)
    theirs.get_by_label("密码").fill(PASSWORD)
    theirs.get_by_role("button", name="登录").click()
    theirs.goto("/points/2025/3/")

    cell(theirs, zone.a1, items["2.1"]).fill("2")
    cell(theirs, zone.a1, items["2.1"]).press("Enter")
    expect(theirs.locator("#fb-status")).to_have_text("已保存")

    target = cell(mine, zone.a1, items["2.1"])
    target.fill("1")
    target.press("Enter")
    expect(mine.locator("#grid-errors")).to_contain_text("已被测admin修改为 2.0，您的输入未保存")
    expect(target).to_have_value("2.0")
    assert value_of(zone.a1, items["2.1"]) == D("2")

    target.fill("1")
    target.press("Enter")  # now deliberately, against the value they have seen
    expect(mine.locator("#fb-status")).to_have_text("已保存")
    assert value_of(zone.a1, items["2.1"]) == D("1")
    other_context.close()


def test_a_note_is_saved_from_the_formula_bar(zone, items, sign_in):
    page = sign_in(zone.staff)
    page.goto(f"/sheet/{zone.a1.pk}/2025/")
    target = cell(page, zone.a1, items["6.1"], month=2)
    target.click()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#fb-status")).to_have_text("已保存")
    target.click()
    page.locator("#fb-note").fill("报送信息 2 篇")
    page.locator("#fb-note").press("Enter")
    expect(page.locator("#fb-status")).to_have_text("已保存")
    saved = eventually(
        lambda: PointEntry.objects.filter(
            organization=zone.a1, item=items["6.1"], month=2, points=1, note="报送信息 2 篇"
        ).exists()
    )
    assert saved
    expect(page.locator('tr[data-month="2"] td[data-group-sum="publicity"]')).to_have_text("1.0")


def test_a_full_page_of_100_rows_pasted_across_every_item_saves_as_one_batch(
    zone, items, rule_set, sign_in
):
    for i in range(95):
        make_org(zone.com_b, f"B-P{i:03}", f"乙粘贴{i}")
    columns = rule_set.ordered_items()
    row = "\t".join("-0.5" if item.kind == "deduction" else "0.5" for item in columns)
    page = sign_in(zone.staff)
    page.goto("/points/2025/3/?size=100")
    first = page.locator("tbody tr").first.locator("input.cell").first
    paste(first, "\r\n".join([row] * 100) + "\r\n")
    expect(page.locator("#fb-status")).to_have_text("已保存", timeout=30_000)
    assert PointEntry.objects.filter(year=2025, month=3).count() == 100 * len(columns)


def test_a_cell_whose_item_is_full_for_the_quarter_is_shaded(zone, items, sign_in):
    from scoring.services.points import Cell, record_points

    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 1, "3")],
        user=zone.staff,
        reason="",
    )
    page = sign_in(zone.staff)
    page.goto("/points/2025/2/")
    full = cell(page, zone.a1, items["2.1"], month=2).locator("xpath=..")
    expect(full).to_have_class("c full")
    expect(full).to_have_attribute("title", "本季度该项在其他月份已记满，本月不能再记")
    expect(cell(page, zone.a2, items["2.1"], month=2).locator("xpath=..")).to_have_class("c")


def test_a_laptop_shows_twenty_rows_and_keeps_names_and_totals_in_view(
    zone, items, sign_in, screenshot
):
    """1366×768 less the browser's own chrome (tabs, address bar: about 111 px)."""
    for n in range(30):
        make_org(zone.com_a, f"A-{n + 10}", f"甲{n + 10}支部")
    page = sign_in(zone.staff)
    page.set_viewport_size({"width": 1366, "height": 657})
    page.goto("/points/2025/3/")
    wrap = page.locator(".grid-wrap")
    # One scroll area: the page itself does not scroll.
    assert page.evaluate("document.documentElement.scrollHeight") <= 657
    box = wrap.bounding_box()
    header_bottom = page.locator("thead tr:nth-child(2) th").first.bounding_box()
    visible_rows = [
        r
        for r in page.locator("tbody tr").all()
        if (b := r.bounding_box())
        and b["y"] >= header_bottom["y"] + header_bottom["height"] - 1
        and b["y"] + b["height"] <= box["y"] + box["height"] + 1
    ]
    assert len(visible_rows) >= 20
    wrap.evaluate("el => el.scrollLeft = el.scrollWidth")
    last_item = page.locator("thead th[data-item]").last
    expect(last_item).to_be_in_viewport()
    row = page.locator(f'tr[data-org="{zone.a1.pk}"]')
    for part in ("th.org-col", "td.sum-1", "td.sum-2"):
        cell_box = row.locator(part).bounding_box()
        assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= 1366, part
        # Not hidden under the scrolled item columns: it is the element drawn at its centre.
        centre = (cell_box["x"] + cell_box["width"] / 2, cell_box["y"] + cell_box["height"] / 2)
        drawn = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('th, td').className", centre
        )
        assert part.split(".")[1] in drawn, (part, drawn)
    screenshot("grid-laptop-scrolled")


def test_a_refused_paste_lists_every_unsaved_cell_and_can_be_retried_or_discarded(
    zone, items, sign_in
):
    page = sign_in(zone.staff)
    page.goto("/points/2025/3/")
    paste(cell(page, zone.a1, items["1.1"]), "9\t1\r\n")  # 9 is over 1.1's cap: both refused
    expect(page.locator("#grid-errors")).to_contain_text("以下 2 个单元格没有保存")
    paste(cell(page, zone.a2, items["1.1"]), "8\t1\r\n")  # a second refused batch
    errors = page.locator("#grid-errors li")
    expect(errors).to_have_count(4)  # both batches, not only the latest
    expect(page.locator("#fb-status")).to_have_text("4 个单元格未保存")
    # Correct one cell of the first batch and retry everything unsaved.
    first = cell(page, zone.a1, items["1.1"])
    first.fill("1")
    page.locator("#fb-retry").click()
    # Each cell is sent again on its own: only the one still wrong stays unsaved.
    expect(page.locator("#fb-status")).to_have_text("1 个单元格未保存")
    expect(page.locator("#grid-errors li")).to_have_count(1)
    expect(page.locator("#grid-errors li")).to_contain_text("甲二支部 · 1.1")
    assert value_of(zone.a1, items["1.1"]) == D("1") and value_of(zone.a1, items["1.2"]) == D("1")
    assert value_of(zone.a2, items["1.2"]) == D("1")
    page.locator("#fb-discard").click()
    expect(page.locator("#grid-errors")).to_be_hidden()
    expect(cell(page, zone.a2, items["1.1"])).to_have_value("")
    expect(page.locator("#fb-status")).to_have_text("已放弃未保存的修改")
    assert value_of(zone.a2, items["1.1"]) is None


def test_the_grid_keeps_a_batch_while_the_server_is_busy_and_sends_it_again(zone, items, sign_in):
    page = sign_in(zone.staff)
    page.goto("/points/2025/3/")
    busy = {"left": 1}

    def answer(route):
        if busy["left"]:
            busy["left"] -= 1
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"ok": false, "message": "系统繁忙，请稍后重试。"}',
            )
        else:
            route.continue_()

    page.route("**/points/save/", answer)
    target = cell(page, zone.a1, items["2.1"])
    target.click()
    page.keyboard.type("1.5")
    page.keyboard.press("Enter")
    expect(page.locator("#fb-status")).to_contain_text("系统繁忙")
    expect(target).to_have_class("cell is-pending")
    expect(page.locator("#fb-status")).to_have_text("已保存", timeout=8000)
    assert value_of(zone.a1, items["2.1"]) == D("1.5")
