import contextlib
from decimal import Decimal as D

import pytest
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.models import PointEntry, Scorecard
from scoring.queries import QUARTER, with_previous_points
from scoring.services.periods import close_month, reopen_month
from scoring.services.points import Cell, PointsRejected, record_points
from scoring.services.rulesets import create_rule_set
from scoring.services.steps import Refused
from scoring.standings import level_at, thresholds_by_year


def save(zone, *cells, user=None, reason="测试"):
    return record_points(
        zone=zone.zone, year=2025, cells=list(cells), user=user or zone.staff, reason=reason
    )


def cell(org, item, month, value, version=None, note=None):
    return Cell(org.pk, item.pk, month, None if value is None else D(value), version, note)


def messages(excinfo):
    return [e.message for e in excinfo.value.errors]


def test_the_default_catalogue_has_7_majors_17_sub_items_and_25_routine_points(rule_set):
    routine = rule_set.items.filter(kind="routine")
    assert rule_set.majors.exclude(code__in=["F", "D"]).count() == 7
    assert routine.count() == 17
    assert routine.aggregate(total=Sum("quarterly_cap"))["total"] == 25
    assert list(rule_set.items.filter(veto=True).values_list("code", flat=True)) == ["D2"]


def test_copying_last_year_keeps_items_and_thresholds(zone, rule_set):
    rule_set.warning_threshold = 26
    rule_set.save()
    copy = create_rule_set(zone=zone.zone, year=2026, user=zone.admin, copy_from=rule_set)
    assert copy.warning_threshold == 26
    assert list(copy.items.values_list("code", "quarterly_cap")) == list(
        rule_set.items.values_list("code", "quarterly_cap")
    )


def test_it_saves_points_and_keeps_the_month_total(zone, items):
    save(zone, cell(zone.a1, items["2.1"], 3, "1.5"), cell(zone.a1, items["D1"], 3, "-1"))
    card = Scorecard.objects.get(organization=zone.a1, year=2025)
    assert (card.q1, card.deduction, card.total, card.e1, card.l1) == (
        D("0.5"),
        D("-1"),
        D("0.5"),
        2,
        3,
    )


def test_it_refuses_the_whole_batch_naming_every_bad_cell(zone, items):
    with pytest.raises(PointsRejected) as excinfo:
        save(
            zone,
            cell(zone.a1, items["1.1"], 3, "1.5"),
            cell(zone.a1, items["1.2"], 3, "2.0"),
            cell(zone.a2, items["2.1"], 3, "0.3"),
        )
    assert messages(excinfo) == [
        "甲一支部 · 1.2 发展党员 · 3月：超过季度上限 1.0 分（本季度其他月份已记 0.0 分，本月最多 1.0 分）",
        "甲二支部 · 2.1 “三会一课” · 3月：分值须为 0.5 的整数倍",
    ]
    assert not PointEntry.objects.exists()
    assert not Scorecard.objects.exists()


def test_the_three_months_of_a_quarter_share_the_cap(zone, items):
    save(zone, cell(zone.a1, items["2.1"], 1, "1.0"), cell(zone.a1, items["2.1"], 2, "1.0"))
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, cell(zone.a1, items["2.1"], 3, "1.5"))
    assert "本季度其他月份已记 2.0 分，本月最多 1.0 分" in messages(excinfo)[0]
    save(zone, cell(zone.a1, items["2.1"], 3, "1.0"))
    save(zone, cell(zone.a1, items["2.1"], 4, "3.0"))  # a new quarter starts afresh


def test_a_batch_counts_its_own_cells_against_the_cap(zone, items):
    with pytest.raises(PointsRejected):
        save(zone, cell(zone.a1, items["1.1"], 1, "1.0"), cell(zone.a1, items["1.1"], 2, "1.0"))
    save(zone, cell(zone.a1, items["1.1"], 1, "1.0"), cell(zone.a1, items["1.1"], 2, "0.5"))


def test_lowering_one_month_makes_room_in_another_within_a_batch(zone, items):
    save(zone, cell(zone.a1, items["1.1"], 1, "1.5"))
    save(zone, cell(zone.a1, items["1.1"], 1, "0.5"), cell(zone.a1, items["1.1"], 2, "1.0"))
    assert Scorecard.objects.filter(organization=zone.a1).aggregate(t=Sum("total"))["t"] == D("1.5")


@pytest.mark.parametrize(("value", "message"), [("1", "扣分项只能填 0 或负数"), ("-3", "扣分上限")])
def test_deductions_are_negative_and_capped(zone, items, value, message):
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, cell(zone.a1, items["D1"], 3, value))
    assert message in messages(excinfo)[0]


def test_a_veto_deduction_is_counted_in_the_month_total(zone, items):
    save(zone, cell(zone.a1, items["D2"], 5, "-10"))
    assert Scorecard.objects.get(organization=zone.a1).vetoes == 1


def test_a_second_save_of_the_same_cell_from_an_old_version_is_refused(zone, items):
    save(zone, cell(zone.a1, items["2.1"], 3, "1.0", version=0), user=zone.staff)
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, cell(zone.a1, items["2.1"], 3, "2.0", version=0), user=zone.admin)
    error = excinfo.value.errors[0]
    assert "已被测staff修改为 1.0" in error.message
    assert error.current.points == D("1.0") and error.current.version == 1
    save(zone, cell(zone.a1, items["2.1"], 3, "2.0", version=1), user=zone.admin)
    assert PointEntry.objects.get().points == D("2.0")


def test_clearing_a_cell_keeps_its_row_and_history(zone, items):
    save(zone, cell(zone.a1, items["2.1"], 3, "1.0", version=0))
    save(zone, cell(zone.a1, items["2.1"], 3, None, version=1))
    entry = PointEntry.objects.get()
    assert (entry.points, entry.version) == (None, 2)
    assert Scorecard.objects.get(organization=zone.a1).q1 == 0
    with pytest.raises(PointsRejected):
        save(zone, cell(zone.a1, items["2.1"], 3, "1.0", version=0))


def test_a_closed_month_changes_only_after_a_reopen_with_a_reason(zone, items):
    close_month(zone=zone.zone, year=2025, month=3, user=zone.staff)
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, cell(zone.a1, items["2.1"], 3, "1.0"))
    assert "2025年3月已关账，如需修改请先重新开放" in messages(excinfo)[0]
    with pytest.raises(Refused, match="必须填写原因"):
        reopen_month(zone=zone.zone, year=2025, month=3, user=zone.staff, reason="  ")
    reopen_month(zone=zone.zone, year=2025, month=3, user=zone.staff, reason="补录甲一支部三月材料")
    save(zone, cell(zone.a1, items["2.1"], 3, "1.0"), reason="表格录入")
    record = PointEntry.history.get()
    assert record.history_change_reason == "表格录入（重新开放后修改：补录甲一支部三月材料）"


def test_every_change_keeps_who_when_old_new_and_reason(zone, items):
    save(zone, cell(zone.a1, items["2.1"], 3, "1.0"), user=zone.staff, reason="表格录入")
    save(zone, cell(zone.a1, items["2.1"], 3, "2.5"), user=zone.admin, reason="Excel导入")
    rows = with_previous_points(PointEntry.history.filter(organization=zone.a1)).order_by(
        "history_date", "history_id"
    )
    assert [(r.history_user, r.old_points, r.points, r.history_change_reason) for r in rows] == [
        (zone.staff, None, D("1.0"), "表格录入"),
        (zone.admin, D("1.0"), D("2.5"), "Excel导入"),
    ]
    assert all(r.history_date for r in rows)


@pytest.mark.parametrize(
    ("month", "org", "message"),
    [
        (13, "a1", "月份 13 无效"),
        (3, "root", "不是在用的计分党组织"),
    ],
)
def test_it_refuses_cells_that_cannot_exist(zone, items, month, org, message):
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, cell(getattr(zone, org), items["2.1"], month, "1.0"))
    assert message in messages(excinfo)[0]


def test_it_refuses_a_year_without_rule_set_and_the_future(zone, items):
    with pytest.raises(PointsRejected) as excinfo:
        record_points(
            zone=zone.zone,
            year=2099,
            cells=[cell(zone.a1, items["2.1"], 1, "1")],
            user=zone.staff,
            reason="",
        )
    assert "2099 年度尚未建立评分细则" in messages(excinfo)[0]


def test_it_refuses_an_inactive_organization(zone, items):
    zone.a2.is_active = False
    zone.a2.save()
    with pytest.raises(PointsRejected):
        save(zone, cell(zone.a2, items["2.1"], 3, "1.0"))


def raw_quarter_sums():
    recorded = Q(points__isnull=False)
    rows = (
        PointEntry.objects.annotate(quarter=QUARTER)
        .values("organization_id", "year", "quarter")
        .annotate(total=Sum("points", filter=recorded, default=0), n=Count("pk", filter=recorded))
    )
    return {
        (r["organization_id"], r["year"], r["quarter"]): (r["total"], r["n"])
        for r in rows
        if r["n"]
    }


def kept_quarter_totals():
    kept = {}
    for card in Scorecard.objects.all():
        for n in range(1, 5):
            if getattr(card, f"e{n}"):
                kept[(card.organization_id, card.year, n)] = (
                    card.quarter(n),
                    getattr(card, f"e{n}"),
                )
    return kept


def kept_levels_are_the_rules_levels(zone):
    """Every stored level equals the one computed from the stored totals."""
    cards = list(Scorecard.objects.all())
    totals = {(c.organization_id, c.year, n): c.quarter(n) for c in cards for n in range(1, 5)}
    years = {c.year for c in cards} | {c.year - 1 for c in cards}
    thresholds = thresholds_by_year(zone.zone, years)
    for c in cards:
        for n in range(1, 5):
            expected = level_at(
                (c.year, n), lambda p, org=c.organization_id: totals.get((org, *p), 0), thresholds
            )
            assert getattr(c, f"l{n}") == expected, (c.organization_id, c.year, n)
    return True


def annual_sums_are_kept():
    recorded = Q(points__isnull=False)
    raw = {
        (r["organization_id"], r["year"]): (r["total"], r["bonus"], r["vetoes"])
        for r in PointEntry.objects.values("organization_id", "year").annotate(
            total=Sum("points", filter=recorded, default=0),
            bonus=Sum("points", filter=recorded & Q(item__kind="featured"), default=0),
            vetoes=Count("pk", filter=recorded & Q(item__veto=True, points__lt=0)),
        )
    }
    kept = {
        (c.organization_id, c.year): (c.total, c.bonus, c.vetoes) for c in Scorecard.objects.all()
    }
    return all(kept.get(key) == value for key, value in raw.items()) and all(
        raw.get(key, (0, 0, 0)) == value for key, value in kept.items()
    )


writes = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["a1", "a2", "b1"]),
            st.sampled_from(["1.1", "2.1", "F1", "D1", "D2"]),
            st.integers(1, 12),
            st.one_of(st.none(), st.integers(-6, 6).map(lambda n: D(n) / 2)),
        ),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=writes)
def test_kept_totals_always_equal_the_raw_rows(zone, items, batches):
    for batch in batches:
        cells = {}
        for org, code, month, value in batch:
            cells[(org, code, month)] = cell(getattr(zone, org), items[code], month, value)
        with contextlib.suppress(PointsRejected):
            save(zone, *cells.values())
        assert kept_quarter_totals() == raw_quarter_sums()
        assert annual_sums_are_kept()
        assert kept_levels_are_the_rules_levels(zone)


@pytest.mark.parametrize("value", ["1" + "0" * 30, "9" * 40, 1e30, 10**40, "9" * 28])
def test_it_names_a_huge_value_instead_of_failing(zone, items, value):
    with pytest.raises(PointsRejected) as excinfo:
        save(zone, Cell(zone.a1.pk, items["2.1"].pk, 3, value))
    [message] = messages(excinfo)
    assert message.startswith("甲一支部 · 2.1 “三会一课” · 3月：")
    assert "超出可录入的范围" in message or "超过季度上限 3.0 分" in message
    assert not PointEntry.objects.exists()


def test_a_huge_value_in_another_month_of_the_batch_does_not_hide_this_ones(zone, items):
    with pytest.raises(PointsRejected) as excinfo:
        save(
            zone,
            Cell(zone.a1.pk, items["2.1"].pk, 1, "-" + "9" * 28),
            Cell(zone.a1.pk, items["2.1"].pk, 2, "9" * 28),
        )
    first, second = messages(excinfo)
    assert first == "甲一支部 · 2.1 “三会一课” · 1月：只能填 0 或正数；扣分请记在扣分项"
    assert second.startswith("甲一支部 · 2.1 “三会一课” · 2月：超过季度上限 3.0 分")
