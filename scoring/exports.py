"""Excel exports: row generators, and one writer per sheet into a write-only workbook.
Reports read from the replica when there is one; the month template, part of data entry, does not.

Every text cell goes through `text()`, so nothing a user typed can become a formula.
"""

from collections import Counter
from io import BytesIO

from django.db.models import Count, FloatField, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orgs.models import Organization, Sector, Tier, TierAssignment
from partybuild.routers import reading_reports

from . import rules
from .models import AnnualResult, Column, ItemKind, PointEntry, RuleSet
from .standings import annual_totals, ended_quarters, grade_rows

TEMPLATE_MARKER = "partybuild-month-template"
TEMPLATE_VERSION = 1
HEADER_ROW = 3
CAP_ROW = 4
FIRST_DATA_ROW = 5
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="F1EFEB")
WRAP = Alignment(wrap_text=True, vertical="center")


def text(ws, value, **style):
    """`value` as it should be appended: plain values stay plain (fast), a string that could be
    read as a formula becomes a text cell, and styles make a cell of their own."""
    formula_like = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if not formula_like and not style:
        return value
    cell = WriteOnlyCell(ws, value)
    if formula_like:
        cell.data_type = "s"
        cell.quotePrefix = True
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


class _ColumnCell(Cell):
    """A styled cell reused for every row of one column. openpyxl resolves a cell's style id
    and builds an error message naming the cell each time a cell object is appended; for a
    style that never changes both are computed once."""

    def __init__(self, ws, style):
        super().__init__(ws)
        for name, setting in style.items():
            setattr(self, name, setting)
        self._style_id = str(ws.parent._cell_styles.add(self._style))

    @property
    def style_id(self):
        return self._style_id

    @property
    def has_style(self):
        return True

    def __repr__(self):
        return "<column cell>"


def stream_styled_cells(ws):
    """Let `ws.append` take ready cells without openpyxl's detour for them (it first tries a
    cell as a value, formats an error, then replaces its placeholder cell), which costs more
    than writing the cell. Rows of plain values are written exactly as before."""

    def values_to_row(values, row_idx):
        plain = WriteOnlyCell(ws)
        for column, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:
                plain.value = value
                cell = plain
            cell.column, cell.row = column, row_idx
            yield cell

    ws._values_to_row = values_to_row
    return ws


class Styled:
    """A reusable styled cell for one column of a write-only sheet: openpyxl writes each
    appended cell before reading the next, so one object per column serves every row. The
    column's values are all numbers (or all text), so they skip openpyxl's type detection."""

    def __init__(self, ws, data_type="n", **style):
        self.cell = _ColumnCell(ws, style)
        self.cell.data_type = data_type

    def __call__(self, value):
        self.cell._value = value
        return self.cell


def printable(ws, *, columns, header_row, frozen):
    """Column widths, frozen panes, and A4 landscape fitted to the page width with the header
    row repeated on every printed page."""
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = frozen
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def to_bytes(workbook):
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def month_template_rows(rule_set, items, year, month, organizations):
    """The month template: title, instructions, header with item codes, caps, then one row
    per organization of the queryset with its current values."""
    yield [f"{year}年{month}月 基层党组织积分录入模板"]
    yield [
        f"只填分值：{rule_set.point_step:.1f} 的整数倍，扣分项填负数，空白表示不记分。"
        "请勿改动表头、组织编码列和“说明”工作表。"
    ]
    yield ["组织编码", "组织名称", *(item.label for item in items)]
    yield [
        "季度上限",
        "",
        *(-i.quarterly_cap if i.kind == "deduction" else i.quarterly_cap for i in items),
    ]
    organizations = organizations.only("pk", "code", "name")
    values = {}
    for org_id, item_id, points in (
        PointEntry.objects.recorded()
        .filter(year=year, month=month, organization__in=organizations.values("pk"))
        .values_list("organization_id", "item_id", "points")
        .iterator(chunk_size=5000)
    ):
        values[(org_id, item_id)] = points
    for org in organizations.iterator(chunk_size=2000):
        yield [org.code, org.name, *(values.get((org.pk, item.pk)) for item in items)]


def write_month_template(rule_set, year, month, organizations=None):
    if organizations is None:
        organizations = Organization.objects.scored()
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年{month}月")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    ws.freeze_panes = f"C{FIRST_DATA_ROW}"
    rows = month_template_rows(rule_set, rule_set.ordered_items(), year, month, organizations)
    for number, row in enumerate(rows, start=1):
        if number == 1:
            ws.append([text(ws, row[0], font=TITLE)])
        elif number in (HEADER_ROW, CAP_ROW):
            ws.append([text(ws, v, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for v in row])
        else:
            ws.append([text(ws, v) for v in row])
    meta = workbook.create_sheet("说明")
    meta.sheet_state = "hidden"
    for row in ([TEMPLATE_MARKER, TEMPLATE_VERSION], ["year", year], ["month", month]):
        meta.append(row)
    return to_bytes(workbook)


POINT_COLUMNS = ["组织编码", "组织名称", "月份", "小项编码", "小项名称", "分值", "说明"]


def points_rows(year):
    yield POINT_COLUMNS
    entries = (
        PointEntry.objects.recorded()
        .filter(year=year)
        .order_by("organization__path", "month", "item__position")
        .values_list(
            "organization__code",
            "organization__name",
            "month",
            "item__code",
            "item__name",
            "points",
            "note",
        )
    )
    yield from entries.iterator(chunk_size=5000)


@reading_reports()
def write_points(year, target):
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年积分明细")
    for width, column in zip((16, 36, 6, 9, 28, 7, 40), "ABCDEFG", strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    for number, row in enumerate(points_rows(year)):
        font = {"font": BOLD} if number == 0 else {}
        ws.append([text(ws, v, **font) for v in row])
    workbook.save(target)


def notice_warnings(warnings, notice):
    """The warnings of a notice with what the sheet shows of each organization, red first;
    the remark says why each was warned at its level."""
    year = notice.year
    thresholds = RuleSet.objects.get(year=year).thresholds
    org_ids = warnings.values("organization_id")
    organizations = {
        o.pk: o
        for o in Organization.objects.filter(pk__in=org_ids).with_tier(year).with_committee()
    }
    rows = []
    for w in warnings.select_related("rectification").order_by(
        "-level", "total", "organization__path"
    ):
        org = organizations[w.organization_id]
        rows.append(
            {
                "level": w.level,
                "level_label": w.get_level_display(),
                "code": org.code,
                "name": org.name,
                "committee": org.committee_name or "",
                "sector": org.get_sector_display(),
                "tier": f"{org.tier}类" if org.tier else "",
                "total": w.total,
                "previous_total": w.previous_total,
                "before_previous_total": w.before_previous_total,
                "note": "；".join(
                    [rules.warning_reason(w.level, w.total, thresholds)]
                    + ([] if w.had_entries else ["本季度无记录"])
                ),
                "deadline": w.rectification.deadline,
            }
        )
    return rows


NOTICE_COLUMNS = [
    ("序号", 6),
    ("预警等级", 14),
    ("组织编码", 14),
    ("组织名称", 36),
    ("所属党委", 16),
    ("类型", 12),
    ("分类", 6),
    ("本季度得分", 10),
    ("上季度得分", 10),
    ("前两季度得分", 12),
    ("整改期限", 12),
    ("备注", 14),
]
LEVEL_FILLS = {
    3: PatternFill("solid", fgColor="F8D7DA"),
    2: PatternFill("solid", fgColor="FFE5CC"),
    1: PatternFill("solid", fgColor="FFF3CD"),
}


@reading_reports()
def write_notice(notice, warnings):
    """The notice as an official-looking sheet: title, number and date, then one row per
    warned organization grouped by level, printable on A4."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{notice.year}年第{notice.quarter}季度预警")
    printable(ws, columns=NOTICE_COLUMNS, header_row=4, frozen="A5")
    ws.append([text(ws, notice.title, font=TITLE)])
    ws.append([text(ws, f"{notice.label}    发布日期：{notice.published_on:%Y年%m月%d日}")])
    ws.append([])
    ws.append(
        [text(ws, name, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for name, _ in NOTICE_COLUMNS]
    )
    for number, row in enumerate(notice_warnings(warnings, notice), start=1):
        fill = LEVEL_FILLS[row["level"]]
        ws.append(
            [
                number,
                text(ws, row["level_label"], fill=fill),
                text(ws, row["code"]),
                text(ws, row["name"]),
                text(ws, row["committee"]),
                text(ws, row["sector"]),
                text(ws, row["tier"]),
                one_decimal(ws, row["total"]),
                one_decimal(ws, row["previous_total"]),
                one_decimal(ws, row["before_previous_total"]),
                row["deadline"],
                text(ws, row["note"]),
            ]
        )
    return to_bytes(workbook)


def one_decimal(ws, value):
    cell = WriteOnlyCell(ws, value)
    cell.number_format = "0.0"
    return cell


GRADE_COLUMNS = [
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
    1: PatternFill("solid", fgColor="C8E6C9"),
    2: PatternFill("solid", fgColor="BBDEFB"),
    3: PatternFill("solid", fgColor="FFCDD2"),
}
GRADE_NAMES = {1: "一档", 2: "二档", 3: "三档"}


def grade_sheet_rows(year, rule_set, finalized):
    """One tuple per organization in rank order (the grade sheet's columns after 序号), from
    the stored results of a finalized year or computed as the year stands."""
    sectors = dict(Sector.choices)
    if finalized:
        results = (
            AnnualResult.objects.filter(year=year)
            .order_by("rank", "organization_id")
            .values_list(
                "code",
                "name",
                "committee",
                "sector",
                "tier",
                # Points are halves and money whole yuan: exact as binary floats, which the
                # database driver reads several times faster than Decimals.
                *(Cast(name, FloatField()) for name in ("q1", "q2", "q3", "q4", "bonus")),
                *(Cast(name, FloatField()) for name in ("deduction", "total")),
                "rank",
                "warnings",
                "grade",
                "proposed_tier",
                "override_tier",
                Cast("coefficient", FloatField()),
                Cast("subsidy", FloatField()),
                "note",
                "override_reason",
            )
            .iterator(chunk_size=5000)
        )
        tier_labels = {"": "", **{t: f"{t}类" for t in Tier.values}}
        for row in results:
            (code, name, committee, sector, tier, q1, q2, q3, q4, bonus, deduction, total, rank,
             warnings, grade, proposed, override, coefficient, subsidy, note, reason) = row  # fmt: skip
            if override:
                note = f"{note}；调整为{override}类：{reason}".lstrip("；")
            yield (
                code,
                name,
                committee,
                sectors[sector],
                tier_labels[tier],
                q1,
                q2,
                q3,
                q4,
                bonus,
                deduction,
                total,
                rank,
                warnings,
                grade,
                tier_labels[proposed],
                coefficient,
                subsidy,
                note,
            )
        return
    committees = Organization.objects.committee_names()
    prefix = Organization.steplen * 2
    tiers = {}
    for org_id, tier in (
        TierAssignment.objects.filter(year__lte=year)
        .order_by("organization_id", "year", "set_at", "pk")
        .values_list("organization_id", "tier")
        .iterator(chunk_size=10000)
    ):
        tiers[org_id] = tier
    rows = annual_totals(Organization.objects.scored(), year, names=True).iterator(chunk_size=5000)
    for g in grade_rows(rows, rule_set, quarters=ended_quarters(year, timezone.localdate())):
        row = g.row
        tier = tiers.get(row["pk"])
        yield (
            row["code"],
            row["name"],
            committees.get(row["path"][:prefix], ""),
            sectors[row["sector"]],
            f"{tier}类" if tier else "",
            row["q1"],
            row["q2"],
            row["q3"],
            row["q4"],
            row["bonus"],
            row["deduction"],
            row["total"],
            row["rank"],
            g.warnings,
            g.grade,
            f"{g.proposed_tier}类",
            g.coefficient,
            g.subsidy,
            g.note,
        )


def stored_summary(year):
    """Counts by (sector label, grade) and subsidies by sector label of a finalized year."""
    sectors = dict(Sector.choices)
    counts, subsidies = Counter(), Counter()
    for sector, grade, n, money in (
        AnnualResult.objects.filter(year=year)
        .order_by()
        .values_list("sector", "grade")
        .annotate(n=Count("pk"), money=Sum("subsidy", default=0))
    ):
        counts[sectors[sector], grade] = n
        subsidies[sectors[sector]] += money
    return counts, subsidies


@reading_reports()
def write_grades(year, target, *, zone_name, rule_set, finalized, today):
    """年度评级表: a title row, the date, a frozen header, one row per organization, printable
    on A4 landscape with the header repeated; a second sheet sums counts and subsidies."""
    workbook = Workbook(write_only=True)
    ws = stream_styled_cells(workbook.create_sheet("年度评级表"))
    printable(ws, columns=GRADE_COLUMNS, header_row=3, frozen="D4")
    title = f"{zone_name}{year}年度基层党组织积分制管理评级表"
    ws.append([text(ws, title if finalized else f"{title}（预估，尚未定级）", font=TITLE)])
    ws.append([f"制表日期：{today:%Y年%m月%d日}"])
    ws.append(
        [text(ws, name, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for name, _ in GRADE_COLUMNS]
    )
    points = [Styled(ws, number_format="0.0") for _ in range(7)]
    grade_cells = {
        grade: (Styled(ws, "s", fill=fill), GRADE_NAMES[grade])
        for grade, fill in GRADE_FILLS.items()
    }
    # A finalized year is summed by the database; a provisional one is graded here, row by row.
    counts, subsidies = stored_summary(year) if finalized else (Counter(), Counter())
    for number, row in enumerate(grade_sheet_rows(year, rule_set, finalized), start=1):
        (code, name, committee, sector, tier, q1, q2, q3, q4, bonus, deduction, total, rank,
         warnings, grade, next_tier, coefficient, subsidy, note) = row  # fmt: skip
        if not finalized:
            counts[sector, grade] += 1
            subsidies[sector] += subsidy or 0
        grade_cell, grade_name = grade_cells[grade]
        ws.append(
            [
                number,
                code,  # codes are letters, digits and hyphens, never a formula
                text(ws, name),
                text(ws, committee),
                sector,
                tier,
                points[0](q1),
                points[1](q2),
                points[2](q3),
                points[3](q4),
                points[4](bonus),
                points[5](deduction),
                points[6](total),
                rank,
                warnings,
                grade_cell(grade_name),
                next_tier,
                coefficient,
                subsidy,
                text(ws, note),
            ]
        )
    summary = workbook.create_sheet("汇总")
    summary.column_dimensions["A"].width = 16
    summary.append([text(summary, f"{year}年度定级汇总", font=TITLE)])
    summary.append(
        [
            text(summary, v, font=BOLD, fill=HEADER_FILL)
            for v in ("类型", "一档", "二档", "三档", "合计", "奖补金额合计(元)")
        ]
    )
    grand = [0, 0, 0, 0, 0]
    for sector in Sector.labels:
        per = [counts[sector, g] for g in (1, 2, 3)]
        if not sum(per):
            continue
        line = [*per, sum(per), subsidies[sector]]
        grand = [a + b for a, b in zip(grand, line, strict=True)]
        summary.append([sector, *line])
    summary.append([text(summary, "合计", font=BOLD), *grand])
    workbook.save(target)


RECORD_COLUMNS = ["日常工作", "主题活动", "作用发挥", "信息宣传", "加分", "扣分"]


@reading_reports()
def write_record_sheet(org, year, rule_set, target):
    """积分制管理记录表 of one organization and year: months × items with column subtotals."""
    items = rule_set.ordered_items()
    keys = [*Column.values, ItemKind.FEATURED.value, ItemKind.DEDUCTION.value]
    entries = {
        (e.month, e.item_id): e
        for e in PointEntry.objects.recorded().filter(organization=org, year=year)
    }
    sums = {}
    for row in PointEntry.objects.column_sums(org, year):
        sums[(row["month"], row["item__major__column"] or row["item__kind"])] = row["points"]
    totals = PointEntry.objects.month_totals([org.pk], year, range(1, 13))
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年记录表")
    printable(ws, columns=[("月份", 8)], header_row=3, frozen="B4")
    ws.append([text(ws, f"{org.name} {year}年积分制管理记录表", font=TITLE)])
    ws.append([text(ws, f"组织编码：{org.code}")])
    ws.append(
        [
            text(ws, h, font=BOLD, fill=HEADER_FILL, alignment=WRAP)
            for h in ["月份", *(i.label for i in items), *RECORD_COLUMNS, "月合计", "说明"]
        ]
    )
    for month in range(1, 13):
        notes = "；".join(
            f"{i.code} {entries[(month, i.pk)].note}"
            for i in items
            if (month, i.pk) in entries and entries[(month, i.pk)].note
        )
        ws.append(
            [
                f"{month}月",
                *(
                    one_decimal(ws, entries[(month, i.pk)].points)
                    if (month, i.pk) in entries
                    else None
                    for i in items
                ),
                *(one_decimal(ws, sums.get((month, k))) for k in keys),
                one_decimal(ws, totals.get((org.pk, month), 0)),
                text(ws, notes),
            ]
        )
    workbook.save(target)
