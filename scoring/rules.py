"""The scoring rules as pure functions: numbers and thresholds in, verdicts out.

Nothing here touches the database or the clock, and no threshold is a literal: every number
comes from the year's rule set, passed in as `Thresholds` or as arguments.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, getcontext

ROUTINE = "routine"
FEATURED = "featured"
DEDUCTION = "deduction"

NOT_WARNED = 0
YELLOW = 1
ORANGE = 2
RED = 3

FIRST = 1
SECOND = 2
THIRD = 3

TIER_FOR_GRADE = {FIRST: "A", SECOND: "B", THIRD: "C"}


@dataclass(frozen=True)
class Thresholds:
    """The rule set's numbers that the verdicts depend on."""

    warning: Decimal
    orange: Decimal
    red: Decimal
    first_grade: Decimal
    second_grade: Decimal


class PointsError(ValueError):
    """A value that cannot be recorded; the message is Chinese and says why."""


# What README promises to read: ASCII or full-width digits, at most one point, a sign (the
# hyphen, U+2212 pasted from documents, or their full-width forms) and a trailing 分. Mapped
# by hand rather than by Unicode normalization, which would also turn ¹ or Arabic-Indic digits
# into 1, and checked by a pattern rather than by Decimal, which also reads 1_0 and 1e3.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "．": ".",
        "－": "-",
        "−": "-",
        "＋": "+",
        "　": " ",
    }
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_points(text: object) -> Decimal | None:
    """The number a user typed, or None for an empty cell.

    Full-width characters typed with a Chinese IME (`１．５`, `－２`) are read as the number
    they show; a trailing 分 is allowed. Anything else is refused with a message.
    """
    if text is None:
        return None
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        value = Decimal(str(text))
    else:
        cleaned = str(text).translate(_FULL_WIDTH).strip().removesuffix("分").strip()
        if cleaned == "":
            return None
        if not _NUMBER.fullmatch(cleaned):
            raise PointsError(f"“{_shown(text)}”不是有效的分值，请填写数字（如 1.5）")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise PointsError(f"“{_shown(text)}”不是有效的分值，请填写数字（如 1.5）") from None
    if not value.is_finite():
        raise PointsError(f"“{_shown(text)}”不是有效的分值，请填写数字（如 1.5）")
    # Caps, sums and the step are computed in the decimal context: a number with more integer
    # digits or decimal places than its precision (1e30, forty 9s, 1e-40) would overflow or be
    # rounded to a multiple of the step there instead of being refused.
    precision = getcontext().prec
    exponent = value.as_tuple().exponent
    if value.adjusted() >= precision or (isinstance(exponent, int) and exponent < -precision):
        raise PointsError(f"“{_shown(text)}”超出可录入的范围，请填写季度上限以内的分值（如 1.5）")
    return value


def format_points(value: Decimal | float | int | None) -> str:
    """Points as every page, sheet and message shows them: one decimal; nothing for None."""
    return "" if value is None else f"{value:.1f}"


def _shown(text: object) -> str:
    """What the user typed, shortened so that a pasted wall of digits keeps the message short."""
    text = str(text)
    return text if len(text) <= 20 else text[:20] + "…"


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def months_of(quarter: int) -> range:
    return range(3 * quarter - 2, 3 * quarter + 1)


def quarter_end(year: int, quarter: int) -> datetime.date:
    """The last day of (year, quarter)."""
    last_month = quarter * 3
    first_of_next = (
        datetime.date(year + 1, 1, 1)
        if last_month == 12
        else datetime.date(year, last_month + 1, 1)
    )
    return first_of_next - datetime.timedelta(days=1)


def months_ended(year: int, quarter: int, today: datetime.date) -> int:
    """How many of (year, quarter)'s months have ended by `today`: 0 to 3."""
    return sum((year, month) < (today.year, today.month) for month in months_of(quarter))


def pro_rated_line(threshold: Decimal, months: int) -> Decimal:
    """Where a quarter's total should be after `months` of its three: the running quarter is
    progress towards the line, compared with this share of it (预估), never a warning."""
    return (threshold * months / 3).quantize(Decimal("0.1"))


def previous_quarters(year: int, quarter: int, count: int) -> list[tuple[int, int]]:
    """The `count` quarters before (year, quarter), most recent first, crossing year ends."""
    result = []
    for _ in range(count):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        result.append((year, quarter))
    return result


def used_elsewhere(by_month: Mapping[int, Decimal | None], month: int) -> Decimal:
    """What an item took in the other months of `month`'s quarter, from {month: points}
    (deductions are negative); months without a value count as nothing."""
    return sum(
        (by_month.get(m) or Decimal(0) for m in months_of(quarter_of(month)) if m != month),
        Decimal(0),
    )


def room(*, kind: str, cap: Decimal, used: Decimal) -> Decimal:
    """How much (as a magnitude) a month may still record for an item whose quarter's other
    months took `used`: the one cap arithmetic, for refusing a value and for showing what is
    left. Between 0 (also when a cap was lowered below what a quarter already holds) and the
    cap (also when another month of a pasted block holds an impossible value)."""
    left = cap + used if kind == DEDUCTION else cap - used
    return min(max(left, Decimal(0)), cap)


def points_problem(
    value: Decimal, *, kind: str, cap: Decimal, step: Decimal, used: Decimal
) -> str | None:
    """Why `value` cannot be recorded for an item, or None when it can.

    `cap` is the item's quarterly cap (a positive magnitude, also for deductions), `used` the
    points already recorded for the item in the quarter's other months (negative for
    deductions), `step` the smallest unit of points.
    """
    left = room(kind=kind, cap=cap, used=used)
    if kind == DEDUCTION:
        if value > 0:
            return "扣分项只能填 0 或负数"
        if -value > left:
            return f"超过季度扣分上限 {cap:.1f} 分（本季度其他月份已扣 {abs(used):.1f} 分，本月最多扣 {left:.1f} 分）"
    else:
        if value < 0:
            return "只能填 0 或正数；扣分请记在扣分项"
        if value > left:
            return f"超过季度上限 {cap:.1f} 分（本季度其他月份已记 {used:.1f} 分，本月最多 {left:.1f} 分）"
    # The step last: only a value within the cap has a remainder the decimal context can
    # compute (1e27 divided by a step of 0.1 has more digits than its precision).
    if value % step != 0:
        return f"分值须为 {step:.1f} 的整数倍"
    return None


def is_warned(total: Decimal, thresholds: Thresholds | None) -> bool:
    """A quarter is warned when its total is below the threshold; a year without a rule set
    (before the system was used) has no thresholds and is never warned."""
    return thresholds is not None and total < thresholds.warning


def warning_level(
    total: Decimal,
    thresholds: Thresholds | None,
    *,
    previous_warned: bool,
    before_previous_warned: bool,
) -> int:
    """三级预警 for one quarter: 红 below the red line or after two warned quarters in a row,
    橙 below the orange line or after one warned quarter, 黄 below the warning line."""
    if thresholds is None or not is_warned(total, thresholds):
        return NOT_WARNED
    if total < thresholds.red or (previous_warned and before_previous_warned):
        return RED
    if total < thresholds.orange or previous_warned:
        return ORANGE
    return YELLOW


def warning_reason(level: int, total: Decimal, thresholds: Thresholds) -> str:
    """Why a quarter was warned at `level`, in the words of a notice: the line it fell under,
    or the run of warned quarters that raised it."""
    if level == RED:
        if total < thresholds.red:
            return f"季度得分低于 {_plain(thresholds.red)} 分"
        return "连续三个季度预警"
    if level == ORANGE:
        if total < thresholds.orange:
            return f"季度得分低于 {_plain(thresholds.orange)} 分"
        return "连续两个季度预警"
    if level == YELLOW:
        return f"季度得分低于 {_plain(thresholds.warning)} 分"
    return ""


def _plain(value: Decimal) -> str:
    """15 rather than 15.0, 12.5 as it is."""
    return format(Decimal(value).normalize(), "f")


def annual_grade(total: Decimal, thresholds: Thresholds, *, vetoed: bool) -> int:
    """年度定级: 一档 at or above the first cut-off, 二档 at or above the second, else 三档;
    a veto deduction (一票否决) forces 三档."""
    if vetoed:
        return THIRD
    if total >= thresholds.first_grade:
        return FIRST
    if total >= thresholds.second_grade:
        return SECOND
    return THIRD


def proposed_tier(grade: int) -> str:
    return TIER_FOR_GRADE[grade]


def warnings_in(totals: Iterable[Decimal], thresholds: Thresholds) -> int:
    """预警次数: how many of the given quarter totals were below the line."""
    return sum(is_warned(total, thresholds) for total in totals)
