"""A published notice as an official-looking sheet: title, number and date, then one row per
warned organization grouped by level, printable on A4."""

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from partybuild import xlsx
from partybuild.routers import reading_reports

from ..models import Level, Notice
from ..standings import notice_rows

COLUMNS = [
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
    Level.RED: PatternFill("solid", fgColor="F8D7DA"),
    Level.ORANGE: PatternFill("solid", fgColor="FFE5CC"),
    Level.YELLOW: PatternFill("solid", fgColor="FFF3CD"),
}


@reading_reports()
def write(notice: Notice, warnings: QuerySet) -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{notice.year}年第{notice.quarter}季度预警")
    xlsx.printable(ws, widths=[w for _, w in COLUMNS], header_row=4, frozen="A5")
    ws.append([xlsx.text(ws, notice.title, font=xlsx.TITLE)])
    ws.append([xlsx.text(ws, f"{notice.label}    发布日期：{notice.published_on:%Y年%m月%d日}")])
    ws.append([])
    ws.append(xlsx.header(ws, [name for name, _ in COLUMNS]))
    for number, row in enumerate(notice_rows(notice, warnings), start=1):
        ws.append(
            [
                number,
                xlsx.text(ws, row.level.label, fill=LEVEL_FILLS[row.level]),
                xlsx.text(ws, row.code),
                xlsx.text(ws, row.name),
                xlsx.text(ws, row.committee),
                xlsx.text(ws, row.sector),
                xlsx.text(ws, row.tier),
                xlsx.one_decimal(ws, row.total),
                xlsx.one_decimal(ws, row.previous_total),
                xlsx.one_decimal(ws, row.before_previous_total),
                row.deadline,
                xlsx.text(ws, row.note),
            ]
        )
    return xlsx.to_bytes(workbook)
