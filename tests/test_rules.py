"""The scoring rules, as tables of cases; no database."""

from decimal import Decimal as D

import pytest

from scoring import rules
from scoring.rules import DEDUCTION, FEATURED, ROUTINE, PointsError

T = rules.Thresholds(warning=D(25), orange=D(20), red=D(15), first_grade=D(90), second_grade=D(80))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", D("1.5")),
        (" 2 ", D("2")),
        ("", None),
        ("   ", None),
        (None, None),
        ("１．５", D("1.5")),  # full-width digits from a Chinese IME
        ("－２", D("-2")),
        ("−1", D("-1")),  # U+2212 minus sign pasted from documents
        ("3分", D("3")),
        ("０", D("0")),
        (2, D("2")),
        (1.5, D("1.5")),
    ],
)
def test_it_reads_what_the_user_typed(text, expected):
    assert rules.parse_points(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *["abc", "1,5", "一点五", "1.5.1", "nan", "inf", "--1", "1/2"],
        # Python's Decimal reads these, README promises none of them.
        *["0_1", "1_0", "1e3", "1E-1", "1e30"],
        # Other digits that Unicode normalization would turn into 1.
        *["١", "¹", "①", "𝟏", "१"],
    ],
)
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(PointsError, match="不是有效的分值"):
        rules.parse_points(text)


@pytest.mark.parametrize("text", ["9" * 40, "-" + "9" * 40, "0." + "0" * 40 + "5", 1e30, 10**40])
def test_it_refuses_a_number_too_big_or_too_fine_to_be_points(text):
    with pytest.raises(PointsError, match="超出可录入的范围"):
        rules.parse_points(text)


def test_it_shortens_a_wall_of_digits_in_its_message():
    with pytest.raises(PointsError) as excinfo:
        rules.parse_points("9" * 40)
    assert str(excinfo.value).startswith("“" + "9" * 20 + "…”超出可录入的范围")


@pytest.mark.parametrize(
    ("value", "kind", "used", "problem"),
    [
        ("1e27", ROUTINE, "0", "超过季度上限 3.0 分"),
        ("-1e27", DEDUCTION, "0", "超过季度扣分上限 3.0 分"),
        # Another month of the batch may itself be out of range; this one is refused anyway.
        ("1e27", ROUTINE, "-1e27", "超过季度上限 3.0 分"),
        ("-1e27", DEDUCTION, "1e27", "超过季度扣分上限 3.0 分"),
    ],
)
def test_it_refuses_a_value_far_beyond_the_cap_before_checking_the_step(value, kind, used, problem):
    result = rules.points_problem(D(value), kind=kind, cap=D(3), step=D("0.1"), used=D(used))
    assert result.startswith(problem)


@pytest.mark.parametrize(
    ("value", "kind", "cap", "used", "problem"),
    [
        ("1.5", ROUTINE, "1.5", "0", None),
        ("0", ROUTINE, "1.5", "1.5", None),
        ("1.0", ROUTINE, "3.0", "2.0", None),
        ("0.3", ROUTINE, "3.0", "0", "分值须为 0.5 的整数倍"),
        (
            "2.0",
            ROUTINE,
            "1.5",
            "0",
            "超过季度上限 1.5 分（本季度其他月份已记 0.0 分，本月最多 1.5 分）",
        ),
        (
            "1.0",
            ROUTINE,
            "3.0",
            "2.5",
            "超过季度上限 3.0 分（本季度其他月份已记 2.5 分，本月最多 0.5 分）",
        ),
        ("-0.5", ROUTINE, "1.5", "0", "只能填 0 或正数；扣分请记在扣分项"),
        ("2.0", FEATURED, "2.0", "0", None),
        ("0.5", FEATURED, "2.0", "2.0", "超过季度上限 2.0 分"),
        ("-1", DEDUCTION, "2.0", "0", None),
        ("-2", DEDUCTION, "2.0", "0", None),
        ("0", DEDUCTION, "2.0", "-2", None),
        ("1", DEDUCTION, "2.0", "0", "扣分项只能填 0 或负数"),
        (
            "-1",
            DEDUCTION,
            "2.0",
            "-1.5",
            "超过季度扣分上限 2.0 分（本季度其他月份已扣 1.5 分，本月最多扣 0.5 分）",
        ),
        ("-10", DEDUCTION, "10.0", "0", None),
        ("-0.25", DEDUCTION, "10.0", "0", "分值须为 0.5 的整数倍"),
    ],
)
def test_it_checks_points_against_the_item(value, kind, cap, used, problem):
    result = rules.points_problem(D(value), kind=kind, cap=D(cap), step=D("0.5"), used=D(used))
    if problem is None:
        assert result is None
    else:
        assert result is not None and result.startswith(problem)


def test_the_step_comes_from_the_rule_set():
    assert rules.points_problem(D("0.5"), kind=ROUTINE, cap=D(3), step=D(1), used=D(0))
    assert rules.points_problem(D("0.2"), kind=ROUTINE, cap=D(3), step=D("0.1"), used=D(0)) is None


@pytest.mark.parametrize(
    ("month", "quarter"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3), (10, 4), (12, 4)]
)
def test_months_fall_in_quarters(month, quarter):
    assert rules.quarter_of(month) == quarter
    assert month in rules.months_of(quarter)


@pytest.mark.parametrize(
    ("year", "quarter", "expected"),
    [
        (2026, 3, [(2026, 2), (2026, 1)]),
        (2026, 2, [(2026, 1), (2025, 4)]),
        (2026, 1, [(2025, 4), (2025, 3)]),
    ],
)
def test_previous_quarters_cross_the_year_end(year, quarter, expected):
    assert rules.previous_quarters(year, quarter, 2) == expected


@pytest.mark.parametrize(
    ("total", "prev", "prev2", "level"),
    [
        ("25", False, False, rules.NOT_WARNED),  # exactly the line is not warned
        ("30", True, True, rules.NOT_WARNED),  # a good quarter clears past warnings
        ("24.5", False, False, rules.YELLOW),
        ("20", False, False, rules.YELLOW),
        ("19.5", False, False, rules.ORANGE),  # orange by the total
        ("24", True, False, rules.ORANGE),  # orange because the previous quarter was warned
        ("24", False, True, rules.YELLOW),  # one warned quarter two back is not enough
        ("15", False, False, rules.ORANGE),
        ("14.5", False, False, rules.RED),  # red by the total
        ("24", True, True, rules.RED),  # red after two warned quarters in a row
        ("0", False, False, rules.RED),  # a quarter with no entries at all
        ("-5", False, False, rules.RED),
    ],
)
def test_it_gives_each_warning_level_by_both_routes(total, prev, prev2, level):
    got = rules.warning_level(D(total), T, previous_warned=prev, before_previous_warned=prev2)
    assert got == level


@pytest.mark.parametrize(
    ("level", "total", "reason"),
    [
        (rules.RED, "14.5", "季度得分低于 15 分"),
        (rules.RED, "24", "连续三个季度预警"),
        (rules.ORANGE, "19.5", "季度得分低于 20 分"),
        (rules.ORANGE, "24", "连续两个季度预警"),
        (rules.YELLOW, "24.5", "季度得分低于 25 分"),
        (rules.NOT_WARNED, "30", ""),
    ],
)
def test_a_notice_says_why_each_level_was_given(level, total, reason):
    assert rules.warning_reason(level, D(total), T) == reason


def test_a_year_without_a_rule_set_is_never_warned():
    assert rules.is_warned(D(0), None) is False
    assert rules.is_warned(D("24.5"), T) is True


def test_thresholds_come_from_the_rule_set():
    strict = rules.Thresholds(
        warning=D(28), orange=D(24), red=D(18), first_grade=D(95), second_grade=D(85)
    )
    assert rules.warning_level(D(26), strict, previous_warned=False, before_previous_warned=False)
    assert rules.annual_grade(D(92), strict, vetoed=False) == rules.SECOND


@pytest.mark.parametrize(
    ("total", "vetoed", "grade", "tier"),
    [
        ("100", False, rules.FIRST, "A"),
        ("90", False, rules.FIRST, "A"),
        ("89.5", False, rules.SECOND, "B"),
        ("80", False, rules.SECOND, "B"),
        ("79.5", False, rules.THIRD, "C"),
        ("0", False, rules.THIRD, "C"),
        ("105", True, rules.THIRD, "C"),  # 一票否决
    ],
)
def test_it_grades_the_year_and_proposes_the_tier(total, vetoed, grade, tier):
    got = rules.annual_grade(D(total), T, vetoed=vetoed)
    assert got == grade
    assert rules.proposed_tier(got) == tier


@pytest.mark.parametrize(
    ("kind", "cap", "used", "left"),
    [
        (ROUTINE, "3.0", "0", "3.0"),
        (ROUTINE, "3.0", "2.5", "0.5"),
        (ROUTINE, "3.0", "3.0", "0"),
        (ROUTINE, "1.0", "1.5", "0"),  # a cap lowered below what the quarter holds
        (ROUTINE, "3.0", "-9", "3.0"),  # never more than the cap in one month
        (DEDUCTION, "2.0", "0", "2.0"),
        (DEDUCTION, "2.0", "-1.5", "0.5"),
        (DEDUCTION, "2.0", "-2.0", "0"),
    ],
)
def test_room_is_what_the_month_may_still_record(kind, cap, used, left):
    assert rules.room(kind=kind, cap=D(cap), used=D(used)) == D(left)


def test_used_elsewhere_sums_the_quarters_other_months_only():
    by_month = {4: D("1.0"), 5: D("0.5"), 6: None, 7: D("3")}
    assert rules.used_elsewhere(by_month, 5) == D("1.0")
    assert rules.used_elsewhere(by_month, 6) == D("1.5")
    assert rules.used_elsewhere({}, 1) == D(0)


@pytest.mark.parametrize(
    ("year", "quarter", "last_day"),
    [
        (2025, 1, "2025-03-31"),
        (2024, 1, "2024-03-31"),
        (2025, 2, "2025-06-30"),
        (2025, 4, "2025-12-31"),
    ],
)
def test_quarter_end_is_the_quarters_last_day(year, quarter, last_day):
    assert rules.quarter_end(year, quarter).isoformat() == last_day


@pytest.mark.parametrize(
    ("value", "shown"), [(D("1.5"), "1.5"), (D(2), "2.0"), (None, ""), (-0.5, "-0.5")]
)
def test_format_points_shows_one_decimal(value, shown):
    assert rules.format_points(value) == shown


@pytest.mark.parametrize(
    ("today", "ended"),
    [("2026-10-01", 0), ("2026-10-31", 0), ("2026-11-01", 1), ("2026-12-01", 2), ("2027-01-01", 3)],
)
def test_months_ended_counts_the_quarters_months_before_today(today, ended):
    import datetime

    assert rules.months_ended(2026, 4, datetime.date.fromisoformat(today)) == ended


@pytest.mark.parametrize(("months", "line"), [(0, "0.0"), (1, "8.3"), (2, "16.7"), (3, "25.0")])
def test_the_pro_rated_line_is_the_share_of_the_warning_line(months, line):
    assert rules.pro_rated_line(D(25), months) == D(line)
