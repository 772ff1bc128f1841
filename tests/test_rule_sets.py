from django.urls import reverse

from scoring.models import Item, RuleSet
from scoring.services import RULE_SET_FIELDS, Cell, record_points


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
    copy = RuleSet.objects.get(year=2026)
    assert copy.items.count() == rule_set.items.count()
    response = client.post(reverse("scoring:rule_set_create"), {"year": "2026"})
    assert "2026 年度的评分细则已存在" in response.content.decode()
    client.post(reverse("scoring:rule_set_create"), {"year": "2027"})
    assert RuleSet.objects.get(year=2027).items.count() == 21


def test_editing_a_year_without_points_needs_no_reason(zone, rule_set, login):
    data = edit_data(rule_set, warning_threshold="26")
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.warning_threshold == 26


def test_editing_a_year_with_points_needs_a_reason_and_is_recorded(zone, items, rule_set, login):
    record_points(
        year=2025, cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "3")], user=None, reason=""
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
        year=2025, cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "2.5")], user=None, reason=""
    )
    index = item_index(rule_set, "2.1")
    data = edit_data(rule_set, reason="试图降低", **{f"items-{index}-quarterly_cap": "2"})
    response = login(zone.admin).post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "已有组织某季度在该项记录了 2.5 分，上限不能低于此数" in response.content.decode()


def test_thresholds_must_be_ordered_and_veto_is_for_deductions(zone, rule_set, login):
    client = login(zone.admin)
    data = edit_data(rule_set, red_threshold="22")
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "红色 ≤ 橙色 ≤ 季度预警线" in response.content.decode()
    data = edit_data(rule_set, **{f"items-{item_index(rule_set, '1.1')}-veto": "on"})
    response = client.post(reverse("scoring:rule_set_edit", args=[2025]), data)
    assert "只有扣分项可以设为一票否决" in response.content.decode()


def test_the_rules_page_redirects_to_a_year_or_explains_there_is_none(zone, login):
    response = login(zone.secretary).get(reverse("scoring:rules"))
    assert "还没有任何年度的评分细则" in response.content.decode()
