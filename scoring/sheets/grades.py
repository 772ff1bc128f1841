"""年度评级表: a title row, the date, a frozen header, one row per organization in rank order,
printable on A4 landscape with the header repeated; a second sheet counts grades by sector
with the subsidies."""

from collections import Counter, defaultdict
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from orgs.models import Sector
from partybuild import xlsx
from partybuild.routers import reading_reports

from ..grades import GradeRow, live_rows, stored_results, stored_rows
from ..models import Grade, RuleSet

COLUMNS = [
    ("序号", 6),
    ("组织编码", 14),
    ("组织名称", 34),
    ("所属党委", 16),
    ("类型", 12),
    ("本年类别", 8),
    ("第一季度", 9),
    ("第二季度", 9),
    ("第三季度", 9),
    ("第四季度", 9),
    ("加分", 7),
    ("扣分", 7),
    ("年度总分", 9),
    ("排名", 6),
    ("预警次数", 8),
    ("等次", 7),
    ("建议下年类别", 11),
    ("绩效系数", 8),
    ("奖补金额(元)", 12),
    ("备注", 26),
]
GRADE_FILLS = {
    Grade.FIRST: PatternFill("solid", fgColor="C8E6C9"),
    Grade.SECOND: PatternFill("solid", fgColor="BBDEFB"),
    Grade.THIRD: PatternFill("solid", fgColor="FFCDD2"),
}
MONEY = "#,##0"


def sheet_rows(rule_set: RuleSet, *, finalized: bool, today: date) -> Any:
    """Every organization's GradeRow in rank order, stored or as the year stands."""
    if finalized:
        return stored_rows(stored_results(rule_set.zone_id, rule_set.year), as_floats=True)
    return live_rows(rule_set, today=today)


def _tier(tier: str) -> str:
    return f"{tier}类" if tier else ""


@reading_reports()
def write(target: IO[bytes] | str, *, rule_set: RuleSet, finalized: bool, today: date) -> None:
    """The grade sheet of the rule set's zone and year, headed with the zone's name."""
    year = rule_set.year
    workbook = Workbook(write_only=True)
    ws = xlsx.stream_styled_cells(workbook.create_sheet("年度评级表"))
    xlsx.printable(ws, widths=[w for _, w in COLUMNS], header_row=3, frozen="D4")
    title = f"{rule_set.zone.name}{year}年度基层党组织积分制管理评级表"
    ws.append(
        [xlsx.text(ws, title if finalized else f"{title}（预估，尚未定级）", font=xlsx.TITLE)]
    )
    ws.append([f"制表日期：{today:%Y年%m月%d日}"])
    ws.append(xlsx.header(ws, [name for name, _ in COLUMNS]))
    points = [xlsx.Styled(ws, number_format="0.0") for _ in range(7)]
    money = xlsx.Styled(ws, number_format=MONEY)
    grades = {
        grade: (xlsx.Styled(ws, "s", fill=fill), grade.label) for grade, fill in GRADE_FILLS.items()
    }
    sectors = dict(Sector.choices)
    # The summary is summed from the rows as they are written: they are the zone's, in
    # memory already, and one more grouped query would cost more than adding them up.
    counts: Counter[tuple[str, int]] = Counter()
    subsidies: defaultdict[str, Any] = defaultdict(int)
    row: GradeRow
    for number, row in enumerate(sheet_rows(rule_set, finalized=finalized, today=today), start=1):
        counts[row.sector, row.grade] += 1
        subsidies[row.sector] += row.subsidy or 0
        grade_cell, grade_name = grades[Grade(row.grade)]
        ws.append(
            [
                number,
                row.code,  # codes are letters, digits and hyphens, never a formula
                xlsx.text(ws, row.name),
                xlsx.text(ws, row.committee),
                sectors[row.sector],
                _tier(row.tier),
                points[0](row.q1),
                points[1](row.q2),
                points[2](row.q3),
                points[3](row.q4),
                points[4](row.bonus),
                points[5](row.deduction),
                points[6](row.total),
                row.rank,
                row.warnings,
                grade_cell(grade_name),
                _tier(row.proposed_tier),
                row.coefficient,
                None if row.subsidy is None else money(row.subsidy),
                xlsx.text(ws, row.remark),
            ]
        )
    summary = workbook.create_sheet("汇总")
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["F"].width = 18
    summary.append([xlsx.text(summary, f"{year}年度定级汇总", font=xlsx.TITLE)])
    summary.append(xlsx.header(summary, ["类型", *Grade.labels, "合计", "奖补金额合计(元)"]))
    grand: list[Any] = [0, 0, 0, 0, 0]
    for sector, label in Sector.choices:
        per = [counts[sector, g] for g in Grade.values]
        if not sum(per):
            continue
        line = [*per, sum(per), subsidies[sector]]
        grand = [a + b for a, b in zip(grand, line, strict=True)]
        summary.append([label, *line[:-1], _money(summary, line[-1])])
    summary.append(
        [xlsx.text(summary, "合计", font=xlsx.BOLD), *grand[:-1], _money(summary, grand[-1])]
    )
    workbook.save(target)


def _money(ws: Any, value: Any) -> Any:
    cell = xlsx.text(ws, value, number_format=MONEY)
    return cell
