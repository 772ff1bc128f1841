import json
from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import Period, PointEntry, Scorecard
from scoring.services import Cell, close_month, record_points

from .conftest import make_org


def post_cells(client, cells, year=2025):
    return client.post(
        reverse("scoring:save"),
        json.dumps({"year": year, "cells": cells}),
        content_type="application/json",
    )


def test_the_grid_shows_a_month_for_every_organization(zone, items, login):
    record_points(
        year=2025, cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "1.5")], user=zone.staff, reason=""
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
            year=2025, cells=[Cell(org.pk, items["1.1"].pk, 3, "1")], user=zone.staff, reason=""
        )
    with django_assert_max_num_queries(14):
        response = client.get(reverse("scoring:grid", args=[2025, 3]), {"size": "50"})
    assert len(response.context["rows"]) == 45


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


def test_a_batch_is_bounded(zone, items, login):
    cell = {"org": zone.a1.pk, "item": items["2.1"].pk, "month": 3, "value": "", "version": 0}
    response = post_cells(login(zone.staff), [cell] * 2001)
    assert "一次最多保存 2000 个单元格" in response.json()["message"]


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


def test_a_closed_month_renders_read_only(zone, items, login):
    close_month(year=2025, month=3, user=zone.staff)
    html = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3])).content.decode()
    assert "已关账" in html and "readonly" in html and "重新开放" in html


def test_the_record_sheet_shows_columns_quarters_and_history(zone, items, login):
    record_points(
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
        close_month(year=2025, month=month, user=zone.staff)
    html = login(zone.staff).get(reverse("scoring:sheet", args=[zone.a1.pk, 2025])).content.decode()
    assert "grid.js" not in html
    assert "选择一个单元格开始录入" not in html


def test_month_totals_are_kept_through_the_view(zone, items, login):
    cells = [{"org": zone.a2.pk, "item": items["F1"].pk, "month": 7, "value": "2", "version": 0}]
    post_cells(login(zone.staff), cells)
    assert Scorecard.objects.get(organization=zone.a2).bonus == 2


def test_a_hostile_note_is_escaped_in_the_grid(zone, items, login):
    record_points(
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "1", note='"><script>alert(1)</script>')],
        user=zone.staff,
        reason="",
    )
    html = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert 'data-note="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
