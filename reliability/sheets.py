"""Reading the Excel sheets the app hands upward, by their cell values: the files carry the
day they were made (and zip timestamps), so two honest copies never match byte for byte."""

from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_SHEET = "年度评级表"
HEADER_ROW = 3  # title, date, header (scoring/exports.py write_grades)


def values(source: bytes | Path) -> dict[str, list[tuple[object, ...]]]:
    """{sheet title: rows of cell values} of a workbook."""
    data = source.read_bytes() if isinstance(source, Path) else source
    workbook = load_workbook(BytesIO(data), read_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}
    finally:
        workbook.close()


def without_dates(sheets: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple]]:
    """The sheets without the rows that only say when they were made (制表日期)."""
    return {
        title: [row for row in rows if not str(row[0] if row else "").startswith("制表日期")]
        for title, rows in sheets.items()
    }


def grade_column(source: bytes | Path, header: str) -> dict[str, object]:
    """{organization code: value in the column headed `header`} of a grade sheet."""
    rows = values(source)[GRADE_SHEET]
    names = list(rows[HEADER_ROW - 1])
    code, wanted = names.index("组织编码"), names.index(header)
    return {str(row[code]): row[wanted] for row in rows[HEADER_ROW:] if row[code]}
