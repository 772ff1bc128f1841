from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.models import Item, RuleSet
from scoring.services.points import Cell, record_points
from scoring.services.rulesets import RULE_SET_FIELDS


def edit_data(rule_set, **changes):
    """The edit form as the page would post it, with `changes` applied."""
    data = {"name": rule_set.name, "reason": changes.pop("reason", "")}
    for name in RULE_SET_FIELDS:
        data[name] = str(getattr(rule_set, name))
    items = list(rule_set.items.all())
    data.update({"items-TOTAL_FORMS": len(items), "items-INITIAL_FORMS": len(items)})
    for i, item in enumerate(items):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-name": item.name,
                f"items-{i}-standard": item.standard,
                f"items-{i}-quarterly_cap": str(item.quarterly_cap),
            }
        )
        if item.veto:
            data[f"items-{i}-veto"] = "on"
    data.update(changes)
    return data


def item_index(rule_set, code):
    return [i.code for i in rule_set.items.all()].index(code)


def test_every_role_reads_the_rule_set(zone, rule_set, login):
    response = login(zone.secretary).get(reverse("scoring:rule_set", args=[2025]))
    html = response.content.decode()
    assert "2025年度基层党组织积分制管理评分细则" in html
    assert "一票否决" in html and "“三会一课”" in html


def test_the_admin_creates_a_year_from_the_default_or_by_copying(zone, rule_set, login):
    client = login(zone.admin)
    client.post(reverse("scoring:rule_set_create"), {"year": "2026", "copy_from": rule_set.pk})
    copy = RuleSet.objects.get(zone=zone.zone, year=2026)
    assert copy.items.count() == rule_set.items.count()
    response = client.post(reverse("scoring:rule_set_create"), {"year": "2026"})
    assert "2026 年度的评分细则已存在" in response.content.decode()
    client.post(reverse("scoring:rule_set_create"), {"year": "2027"})
    assert RuleSet.objects.get(zone=zone.zone, year=2027).items.count() == 21


def test_editing_a_year_without_points_needs_no_reason(zone, rule_set, login):
    data = edit_data(rule_set, warning_threshold="26")
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.warning_threshold == 26


def test_editing_a_year_with_points_needs_a_reason_and_is_recorded(zone, items, rule_set, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "3")],
        user=None,
        reason="",
    )
    client = login(zone.admin)
    index = item_index(rule_set, "4.2")
    data = edit_data(rule_set, **{f"items-{index}-quarterly_cap": "1.5"})
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "已有积分记录，修改细则必须填写原因" in response.content.decode()
    assert Item.objects.get(pk=items["4.2"].pk).quarterly_cap == 1
    data["reason"] = "上级通知调整结对共建分值"
    client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    record = Item.history.filter(id=items["4.2"].pk).latest("history_date")
    assert (record.quarterly_cap, record.history_user, record.history_change_reason) == (
        1.5,
        zone.admin,
        "上级通知调整结对共建分值",
    )
    page = client.get(reverse("scoring:rule_set", args=[2025])).content.decode()
    assert "上级通知调整结对共建分值" in page


def test_a_cap_cannot_drop_below_what_was_recorded(zone, items, rule_set, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "2.5")],
        user=None,
        reason="",
    )
    index = item_index(rule_set, "2.1")
    data = edit_data(rule_set, reason="试图降低", **{f"items-{index}-quarterly_cap": "2"})
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "已有组织某季度在该项记录了 2.5 分，上限不能低于此数" in response.content.decode()


def test_thresholds_must_be_ordered_and_veto_is_for_deductions(zone, rule_set, login):
    client = login(zone.admin)
    data = edit_data(rule_set, red_threshold="22")
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "三级（红色）预警线应低于二级（橙色）预警线（20.0 分）。" in response.content.decode()
    data = edit_data(rule_set, **{f"items-{item_index(rule_set, '1.1')}-veto": "on"})
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "只有扣分项可以设为一票否决" in response.content.decode()


def test_the_rules_page_redirects_to_a_year_or_explains_there_is_none(zone, login):
    response = login(zone.secretary).get(reverse("scoring:rules"))
    assert "还没有任何年度的评分细则" in response.content.decode()


def test_it_adds_no_item_when_the_edit_form_is_posted_with_an_extra_row(zone, rule_set, login):
    count = rule_set.items.count()
    data = edit_data(rule_set, **{"items-TOTAL_FORMS": count + 1})
    data.update({f"items-{count}-name": "偷加的小项", f"items-{count}-quarterly_cap": "5"})
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 302
    assert rule_set.items.count() == count
    assert not Item.objects.filter(name="偷加的小项").exists()


IMPOSSIBLE = [
    ("subsidy_first", "-5", "一档奖补金额不能为负数。"),
    ("coefficient_third", "-1.5", "三档绩效系数不能为负数。"),
    ("second_grade_min", "-50", "二档最低分不能为负数。"),
    (
        "first_grade_min",
        "99999",
        "一档最低分不能高于全年最多可得的 120.0 分（4 个季度 × 常规和加分小项季度上限之和 30.0 分）。",
    ),
    ("yellow_days", "99999999", "黄色预警整改期限应在 1 至 365 天之间。"),
    ("orange_days", "0", "橙色预警整改期限应在 1 至 365 天之间。"),
    ("red_days", "366", "红色预警整改期限应在 1 至 365 天之间。"),
    ("close_day", "29", "月度关账日应在次月 1 至 28 日之间。"),
    ("second_grade_min", "90", "二档最低分应低于一档最低分（90.0 分）。"),
    ("orange_threshold", "25", "二级（橙色）预警线应低于季度预警线（25.0 分）。"),
    ("red_threshold", "20", "三级（红色）预警线应低于二级（橙色）预警线（20.0 分）。"),
    ("red_threshold", "0", "红色预警线必须大于 0"),
    (
        "warning_threshold",
        "30.5",
        "季度预警线不能高于一个季度最多可得的 30.0 分（常规和加分小项季度上限之和）。",
    ),
    ("subsidy_second", "30000", "二档奖补金额不能高于一档（20000.00 元）。"),
    ("subsidy_third", "10000.01", "三档奖补金额不能高于二档（10000.00 元）。"),
    ("coefficient_second", "1.2", "二档绩效系数不能高于一档（1.10）。"),
    ("point_step", "0", "最小分值单位必须大于 0。"),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), IMPOSSIBLE, ids=[f"{f}={v}" for f, v, _ in IMPOSSIBLE]
)
def test_it_refuses_an_impossible_rule_set_and_says_which_number(
    zone, rule_set, login, field, value, message
):
    before = {name: getattr(rule_set, name) for name in RULE_SET_FIELDS}
    data = edit_data(rule_set, **{field: value})
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in response.content.decode()
    rule_set.refresh_from_db()
    assert {name: getattr(rule_set, name) for name in RULE_SET_FIELDS} == before


def test_grade_lines_may_rise_with_caps_raised_in_the_same_edit(zone, rule_set, login):
    index = item_index(rule_set, "F2")
    data = edit_data(rule_set, first_grade_min="124", **{f"items-{index}-quarterly_cap": "4"})
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.first_grade_min == 124


def test_the_point_step_cannot_grow_past_points_already_recorded(zone, items, rule_set, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, 1, "2.5"),
            Cell(zone.a2.pk, items["2.1"].pk, 1, "1.5"),
            Cell(zone.b1.pk, items["2.1"].pk, 1, "2"),
            Cell(zone.b1.pk, items["D2"].pk, 1, "-3"),
        ],
        user=None,
        reason="",
    )
    data = edit_data(rule_set, point_step="1.0", reason="改为整数计分")
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.context["form"].errors["point_step"] == [
        "2025 年度已有 2 条积分记录不是 1.0 的整数倍，最小分值单位不能改为 1.0。"
    ]
    rule_set.refresh_from_db()
    assert rule_set.point_step == Decimal("0.5")


def test_the_point_step_may_grow_when_every_recorded_point_fits(zone, items, rule_set, login):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, 1, "3"),
            Cell(zone.b1.pk, items["D2"].pk, 1, "-2"),
        ],
        user=None,
        reason="",
    )
    data = edit_data(rule_set, point_step="1.0", reason="改为整数计分")
    client = login(zone.admin)
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "季度上限须为最小分值单位 1.0 的整数倍。" in response.content.decode()
    for i, item in enumerate(rule_set.items.all()):
        data[f"items-{i}-quarterly_cap"] = str(
            item.quarterly_cap.to_integral_value("ROUND_CEILING")
        )
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.point_step == 1
    assert all(item.quarterly_cap % 1 == 0 for item in rule_set.items.all())
