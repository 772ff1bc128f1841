import json
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import Period, PointEntry, Scorecard
from scoring.services.grading import finalize_year
from scoring.services.periods import close_month
from scoring.services.points import Cell, record_points
from scoring.services.rulesets import create_rule_set
from scoring.views.points import MAX_CELLS_PER_SAVE, PAGE_SIZES

from .conftest import make_org


def post_cells(client, cells, year=2025):
    return client.post(
        reverse("scoring:save"),
        json.dumps({"year": year, "cells": cells}),
        content_type="application/json",
    )


def test_the_grid_shows_a_month_for_every_organization(zone, items, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "1.5")],
        user=zone.staff,
        reason="",
    )
    response = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3]))
    html = response.content.decode()
    assert response.status_code == 200
    assert [row["org"].code for row in response.context["rows"]] == ["A", "A-1", "A-2", "B", "B-1"]
    assert 'value="1.5"' in html
    assert "关账期限 2025年4月10日" in html


def test_the_grid_filters_by_committee(zone, items, login):
    url = reverse("scoring:grid", args=[2025, 3])
    response = login(zone.staff).get(url, {"committee": zone.com_b.pk})
    assert [row["org"].code for row in response.context["rows"]] == ["B", "B-1"]


def test_the_grid_query_count_does_not_grow_with_rows(
    zone, items, login, django_assert_max_num_queries
):
    client = login(zone.staff)
    for i in range(40):
        org = make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
        record_points(
            zone=zone.zone,
            year=2025,
            cells=[Cell(org.pk, items["1.1"].pk, 3, "1")],
            user=zone.staff,
            reason="",
        )
    # 15 for the page (one of them the work records behind the cells), 1 for the zone's stamp,
    # 1 for the signed-in user's zone, 1 for the menu's unread notices.
    with django_assert_max_num_queries(18):
        response = client.get(reverse("scoring:grid", args=[2025, 3]), {"size": "50"})
    assert len(response.context["rows"]) == 45
    # Reloaded, the table comes from the cache: the session, the user, the zone, its stamp
    # and the menu's notices.
    with django_assert_max_num_queries(5):
        again = client.get(reverse("scoring:grid", args=[2025, 3]), {"size": "50"})
    assert again.content.count(b'<tr data-org="') == 45


@pytest.mark.parametrize("url", ["/points/2025/13/", "/points/1999/3/"])
def test_the_grid_answers_404_for_a_month_that_does_not_exist(zone, items, login, url):
    assert login(zone.staff).get(url).status_code == 404


def test_saving_cells_returns_versions_and_totals(zone, items, login):
    client = login(zone.staff)
    cells = [
        {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "１．５", "version": 0},
        {
            "org": zone.a1.pk,
            "item": items["2.2"].pk,
            "month": 3,
            "value": "2",
            "version": 0,
            "note": "主题党日",
        },
    ]
    data = post_cells(client, cells).json()
    assert data["ok"] is True
    assert [(c["value"], c["version"]) for c in data["cells"]] == [("1.5", 1), ("2.0", 1)]
    assert data["totals"][str(zone.a1.pk)] == {"1": "0.0", "2": "0.0", "3": "3.5"}
    assert PointEntry.objects.get(item=items["2.2"]).note == "主题党日"


def test_a_rejected_batch_names_each_cell_and_saves_nothing(zone, items, login):
    client = login(zone.staff)
    cells = [
        {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1.5", "version": 0},
        {"org": zone.a1.pk, "item": items["1.2"].pk, "month": 3, "value": "abc", "version": 0},
    ]
    response = post_cells(client, cells)
    assert response.status_code == 422
    assert [e["message"] for e in response.json()["errors"]] == [
        "甲一支部 · 1.2 发展党员 · 3月：“abc”不是有效的分值，请填写数字（如 1.5）"
    ]
    assert not PointEntry.objects.exists()


def test_a_conflicting_save_is_refused_with_the_current_value(zone, items, login):
    client = login(zone.staff)
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1.0", "version": 0}
    post_cells(client, [cell])
    response = post_cells(client, [dict(cell, value="2.0")])
    error = response.json()["errors"][0]
    assert error["current"]["value"] == "1.0" and error["current"]["version"] == 1
    assert "已被测staff修改为 1.0" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"cells": []}),
        json.dumps({"year": 2025, "cells": []}),
        json.dumps({"year": 2025, "cells": [{"org": "x"}]}),
        json.dumps({"year": 2025, "cells": "abc"}),
        json.dumps([1, 2]),
    ],
)
def test_malformed_saves_get_a_clear_400(zone, items, login, body):
    response = login(zone.staff).post(
        reverse("scoring:save"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]


def post_body(client, body):
    return client.post(reverse("scoring:save"), body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"year": Infinity, "cells": []}', "年度无效（inf）"),
        ('{"year": NaN, "cells": []}', "年度无效（nan）"),
        (json.dumps({"year": 10**30, "cells": []}), "年度无效（10000000000000000000…）"),
        (json.dumps({"year": 2025.5, "cells": []}), "年度无效（2025.5）"),
        (json.dumps({"year": True, "cells": []}), "年度无效（True）"),
    ],
)
def test_a_save_with_a_year_out_of_range_gets_a_clear_400(zone, items, login, body, message):
    response = post_body(login(zone.staff), body)
    assert response.status_code == 400
    assert response.json()["message"] == message + "，请刷新页面后重试。"


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("org", 10**30, "第 2 个单元格的组织编号无效（10000000000000000000…）"),
        ("item", 10**30, "第 2 个单元格的小项编号无效"),
        ("month", 10**30, "第 2 个单元格的月份无效"),
        ("month", 13, "第 2 个单元格的月份无效（13）"),
        ("version", 10**30, "第 2 个单元格的版本号无效"),
        ("version", -1, "第 2 个单元格的版本号无效（-1）"),
        ("org", 1.5, "第 2 个单元格的组织编号无效（1.5）"),
        ("org", None, "缺少第 2 个单元格的组织编号"),
        ("value", [1], "第 2 个单元格的分值格式不正确"),
        ("value", True, "第 2 个单元格的分值格式不正确"),
        ("note", 5, "第 2 个单元格的说明格式不正确"),
    ],
)
def test_a_save_with_a_cell_field_out_of_range_or_of_the_wrong_type_gets_a_clear_400(
    zone, items, login, field, bad, message
):
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1", "version": 0}
    response = post_cells(login(zone.staff), [cell, dict(cell, **{field: bad})])
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert not PointEntry.objects.exists()


def test_a_save_that_is_not_json_at_all_gets_a_clear_400(zone, items, login):
    response = post_body(login(zone.staff), "[" * 100_000)
    assert response.status_code == 400
    assert response.json()["message"] == "提交的数据格式不正确，请刷新页面后重试。"


@pytest.mark.parametrize("value", ["1e30", "9" * 40, 1e30, 10**40, "Infinity"])
def test_a_huge_value_is_named_not_a_crash(zone, items, login, value):
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": value, "version": 0}
    response = post_cells(login(zone.staff), [cell])
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"].startswith("甲一支部 · 2.1 “三会一课” · 3月：")
    assert "超出可录入的范围" in error["message"] or "不是有效的分值" in error["message"]
    assert not PointEntry.objects.exists()


@pytest.mark.parametrize("zero", [0, 0.0, "0"])
def test_a_zero_is_saved_as_zero_and_only_null_or_empty_clears(zone, items, login, zero):
    client = login(zone.staff)
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "version": 0}
    data = post_cells(client, [dict(cell, value=zero)]).json()
    assert data["cells"][0]["value"] == "0.0"
    assert PointEntry.objects.get().points == 0
    post_cells(client, [dict(cell, value=None, version=1)])
    assert PointEntry.objects.get().points is None
    post_cells(client, [dict(cell, value=zero, version=2)])
    post_cells(client, [dict(cell, value="", version=3)])
    assert (PointEntry.objects.get().points, PointEntry.objects.get().version) == (None, 4)


def test_a_note_longer_than_kept_is_refused_naming_the_cell(zone, items, login):
    client = login(zone.staff)
    cells = [
        {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1", "version": 0},
        {
            "org": zone.a2.pk,
            "item": items["2.2"].pk,
            "month": 3,
            "value": "1",
            "version": 0,
            "note": "说" * 501,
        },
        {"org": zone.b1.pk, "item": items["1.2"].pk, "month": 3, "value": "x", "version": 0},
    ]
    response = post_cells(client, cells)
    assert response.status_code == 422
    assert [(e["org"], e["message"]) for e in response.json()["errors"]] == [
        (zone.a2.pk, "甲二支部 · 2.2 主题党日 · 3月：说明最多 500 字，现有 501 字，请删减后再保存"),
        (zone.b1.pk, "乙一支部 · 1.2 发展党员 · 3月：“x”不是有效的分值，请填写数字（如 1.5）"),
    ]
    assert not PointEntry.objects.exists()
    cells[1]["note"] = "说" * 500
    del cells[2]
    assert post_cells(client, cells).json()["ok"] is True
    assert PointEntry.objects.get(organization=zone.a2).note == "说" * 500


def full_page(zone, items, count, value=lambda item: "0.5"):
    """Every item of `count` new organizations, as a paste of the whole page would send."""
    orgs = [make_org(zone.com_b, f"B-P{i:03}", f"乙粘贴{i}") for i in range(count)]
    cells = [
        {"org": org.pk, "item": item.pk, "month": 3, "value": value(item), "version": 0}
        for org in orgs
        for item in items.values()
    ]
    return orgs, cells


def test_a_full_page_of_100_rows_pasted_across_every_item_saves_at_once(zone, items, login):
    orgs, cells = full_page(
        zone, items, 100, value=lambda item: "-0.5" if item.kind == "deduction" else "0.5"
    )
    assert len(cells) > 2000
    data = post_cells(login(zone.staff), cells).json()
    assert data["ok"] is True and len(data["cells"]) == len(cells)
    assert PointEntry.objects.count() == len(cells)
    assert Scorecard.objects.filter(organization__in=orgs).count() == 100


def test_a_full_page_paste_with_one_bad_cell_saves_nothing(zone, items, login):
    _, cells = full_page(zone, items, 100, value=lambda item: "")
    cells[-1]["value"] = "abc"
    response = post_cells(login(zone.staff), cells)
    assert response.status_code == 422
    assert len(response.json()["errors"]) == 1
    assert not PointEntry.objects.exists()


def test_a_batch_is_bounded_by_the_largest_page_times_a_generous_item_count(zone, items, login):
    assert max(PAGE_SIZES) * len(items) <= MAX_CELLS_PER_SAVE
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "", "version": 0}
    response = post_cells(login(zone.staff), [cell] * (MAX_CELLS_PER_SAVE + 1))
    assert response.status_code == 400
    assert f"一次最多保存 {MAX_CELLS_PER_SAVE} 个单元格" in response.json()["message"]


def test_close_and_reopen_a_month_with_a_reason(zone, items, login):
    client = login(zone.staff)
    client.post(reverse("scoring:close", args=[2025, 3]))
    assert Period.objects.get(year=2025, month=3).closed
    response = client.post(reverse("scoring:reopen", args=[2025, 3]), {"reason": ""})
    assert "必须填写重新开放原因" in response.content.decode()
    client.post(reverse("scoring:reopen", args=[2025, 3]), {"reason": "补录三月材料"})
    period = Period.objects.get(year=2025, month=3)
    assert not period.closed
    assert [h.history_change_reason for h in period.history.order_by("history_date")] == [
        "关账",
        "重新开放：补录三月材料",
    ]


@pytest.mark.parametrize(
    "target",
    ["abc", "https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com/", ""],
)
def test_closing_follows_next_only_to_a_path_on_this_site(zone, items, login, target):
    response = login(zone.staff).post(reverse("scoring:close", args=[2025, 3]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:grid", args=[2025, 3])
    assert Period.objects.get(year=2025, month=3).closed


def test_closing_goes_back_to_the_page_it_came_from(zone, items, login):
    back = reverse("scoring:sheet", args=[zone.a1.pk, 2025]) + "?hpage=2"
    response = login(zone.staff).post(reverse("scoring:close", args=[2025, 3]), {"next": back})
    assert response["Location"] == back


def test_closing_a_month_that_has_not_ended_is_refused_with_a_message(zone, login):
    today = timezone.localdate()
    create_rule_set(zone=zone.zone, year=today.year, user=zone.admin)
    client = login(zone.staff)
    grid = client.get(reverse("scoring:grid", args=[today.year, today.month])).content.decode()
    assert reverse("scoring:close", args=[today.year, today.month]) not in grid
    response = client.post(reverse("scoring:close", args=[today.year, today.month]), follow=True)
    assert f"{today.year}年{today.month}月尚未结束，不能关账。" in response.content.decode()
    assert not Period.objects.filter(year=today.year, month=today.month, closed=True).exists()


def test_a_closed_month_of_a_published_quarter_reopens_with_a_reason(zone, items, published, login):
    client = login(zone.staff)
    grid = client.get(reverse("scoring:grid", args=[2025, 2])).content.decode()
    assert "预警通报〔2025〕第1号已发布" in grid
    assert reverse("scoring:reopen", args=[2025, 2]) in grid
    page = client.get(reverse("scoring:reopen", args=[2025, 2])).content.decode()
    assert (
        "本季度预警通报〔2025〕第1号已发布：重新开放后修改的积分不会改变已发布的通报和预警名单。"
        in page
    )
    warned = list(
        published.warnings.order_by("organization").values_list("organization", "level", "total")
    )
    response = client.post(reverse("scoring:reopen", args=[2025, 2]), {"reason": "补录漏报"})
    assert response["Location"] == reverse("scoring:grid", args=[2025, 2])
    assert not Period.objects.get(year=2025, month=2).closed
    cell = {"org": zone.a1.pk, "item": items["F1"].pk, "month": 2, "value": "2", "version": 0}
    assert post_cells(client, [cell]).json()["ok"] is True
    assert (
        list(
            published.warnings.order_by("organization").values_list(
                "organization", "level", "total"
            )
        )
        == warned
    )


def test_a_month_of_a_graded_year_is_not_offered_for_reopening(zone, items, login):
    close_month(zone=zone.zone, year=2025, month=5, user=zone.staff)
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    response = login(zone.staff).get(reverse("scoring:reopen", args=[2025, 5]), follow=True)
    assert response.redirect_chain == [(reverse("scoring:grid", args=[2025, 5]), 302)]
    assert "2025 年度已定级，请先撤销定级再重新开放月份。" in response.content.decode()
    assert Period.objects.get(year=2025, month=5).closed


def test_the_reopen_page_of_an_unpublished_quarter_says_nothing_of_a_notice(zone, items, login):
    close_month(zone=zone.zone, year=2025, month=5, user=zone.staff)
    page = login(zone.staff).get(reverse("scoring:reopen", args=[2025, 5])).content.decode()
    assert "重新开放原因" in page and "预警通报" not in page


def test_a_closed_month_renders_read_only(zone, items, login):
    close_month(zone=zone.zone, year=2025, month=3, user=zone.staff)
    html = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3])).content.decode()
    assert "已关账" in html and "readonly" in html and "重新开放" in html
    assert "本月已关账，积分只读" in html and "键盘录入" not in html


def test_the_month_tabs_show_which_months_are_closed_or_left_open_past_the_deadline(
    zone, items, login
):
    close_month(zone=zone.zone, year=2025, month=1, user=zone.staff)
    response = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3]))
    tabs = dict(response.context["months"])
    assert (tabs[1], tabs[2], tabs[12]) == ("closed", "overdue", "overdue")
    html = response.content.decode()
    assert 'data-month-tab="closed"' in html and "逾期" in html


def test_the_record_sheet_shows_columns_quarters_and_history(zone, items, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, 1, "3", note="三会一课"),
            Cell(zone.a1.pk, items["4.1"].pk, 2, "2"),
            Cell(zone.a1.pk, items["D1"].pk, 2, "-1"),
        ],
        user=zone.staff,
        reason="表格录入",
    )
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 1, "2.5")],
        user=zone.admin,
        reason="更正",
    )
    response = login(zone.secretary).get(reverse("scoring:sheet", args=[zone.a1.pk, 2025]))
    q1 = response.context["quarters"][0]
    assert q1["total"] == D("3.5")
    assert dict(q1["months"][0]["columns"])["daily"] == D("2.5")
    assert dict(q1["months"][1]["columns"]) == {
        "daily": None,
        "theme": D("2.0"),
        "role": None,
        "publicity": None,
        "featured": None,
        "deduction": D("-1.0"),
    }
    history = list(response.context["history"])
    assert (history[0].old_points, history[0].points, history[0].history_change_reason) == (
        D("3.0"),
        D("2.5"),
        "更正",
    )
    html = response.content.decode()
    assert "grid.js" not in html  # a secretary reads, never writes
    assert "三会一课" in html


def test_staff_get_an_editable_record_sheet(zone, items, login):
    html = login(zone.staff).get(reverse("scoring:sheet", args=[zone.a1.pk, 2025])).content.decode()
    assert "grid.js" in html


def test_a_year_with_every_month_closed_shows_no_entry_tools(zone, items, login):
    for month in range(1, 13):
        close_month(zone=zone.zone, year=2025, month=month, user=zone.staff)
    html = login(zone.staff).get(reverse("scoring:sheet", args=[zone.a1.pk, 2025])).content.decode()
    assert "grid.js" not in html
    assert "选择一个单元格开始录入" not in html


def test_month_totals_are_kept_through_the_view(zone, items, login):
    cells = [{"org": zone.a2.pk, "item": items["F1"].pk, "month": 7, "value": "2", "version": 0}]
    post_cells(login(zone.staff), cells)
    assert Scorecard.objects.get(organization=zone.a2).bonus == 2


def test_a_hostile_note_is_escaped_in_the_grid(zone, items, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "1", note='"><script>alert(1)</script>')],
        user=zone.staff,
        reason="",
    )
    html = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert 'data-note="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("note", "a\u0000b", "不可见的控制字符"),
        ("note", "\ud800", "无法识别的字符"),
        ("value", "1\u0000", "不可见的控制字符"),
        ("value", "\udfff", "无法识别的字符"),
        ("note", "bell\u0007", "不可见的控制字符"),
    ],
)
def test_text_no_database_could_hold_is_refused_with_a_message(
    zone, items, login, field, text, reason
):
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1", "version": 0}
    cell[field] = text
    # json.dumps keeps the lone surrogate as the escape \\ud800, as a browser would send it.
    body = json.dumps({"year": 2025, "cells": [cell]})
    response = login(zone.staff).post(
        reverse("scoring:save"), body, content_type="application/json"
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("第 1 个单元格的" + ("说明" if field == "note" else "分值"))
    assert reason in message
    assert not PointEntry.objects.exists()


def test_a_note_with_tabs_and_line_breaks_is_kept(zone, items, login):
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "1", "version": 0}
    cell["note"] = "第一行\n第二行\t备注"
    body = json.dumps({"year": 2025, "cells": [cell]})
    response = login(zone.staff).post(
        reverse("scoring:save"), body, content_type="application/json"
    )
    assert response.status_code == 200
    assert PointEntry.objects.get().note == "第一行\n第二行\t备注"
