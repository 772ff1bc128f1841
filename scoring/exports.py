"""Excel exports: row generators, and one writer per sheet into a write-only workbook.

Every text cell goes through `text()`, so nothing a user typed can become a formula.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orgs.models import Organization

from .models import PointEntry

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
    """A cell that holds `value` as plain text, even when it looks like a formula."""
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def to_bytes(workbook):
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def month_template_rows(rule_set, items, year, month):
    """The month template: title, instructions, header with item codes, caps, then one row
    per scored organization with its current values."""
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
    organizations = Organization.objects.scored().only("pk", "code", "name")
    values = {}
    for org_id, item_id, points in (
        PointEntry.objects.recorded()
        .filter(year=year, month=month)
        .values_list("organization_id", "item_id", "points")
        .iterator(chunk_size=5000)
    ):
        values[(org_id, item_id)] = points
    for org in organizations.iterator(chunk_size=2000):
        yield [org.code, org.name, *(values.get((org.pk, item.pk)) for item in items)]


def write_month_template(rule_set, year, month):
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年{month}月")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    ws.freeze_panes = f"C{FIRST_DATA_ROW}"
    rows = month_template_rows(rule_set, rule_set.ordered_items(), year, month)
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


def notice_warnings(warnings, year):
    """The warnings of a notice with what the sheet shows of each organization, red first."""
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
                "note": "" if w.had_entries else "本季度无记录",
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


def write_notice(notice, warnings):
    """The notice as an official-looking sheet: title, number and date, then one row per
    warned organization grouped by level, printable on A4."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{notice.year}年第{notice.quarter}季度预警")
    for index, (_, width) in enumerate(NOTICE_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A5"
    ws.print_title_rows = "4:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.append([text(ws, notice.title, font=TITLE)])
    ws.append([text(ws, f"{notice.label}    发布日期：{notice.published_on:%Y年%m月%d日}")])
    ws.append([])
    ws.append(
        [text(ws, name, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for name, _ in NOTICE_COLUMNS]
    )
    for number, row in enumerate(notice_warnings(warnings, notice.year), start=1):
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
