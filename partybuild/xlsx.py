"""The Excel toolkit every sheet of the app is written and read with, free of any domain.

Writing: rows stream into write-only workbooks; every text cell goes through `text()`, so
nothing a user typed can become a formula in a sheet handed upward. `Styled` and
`stream_styled_cells` are the only code that reaches into openpyxl's internals (measured: they
keep the 100,000-row grade sheet within 1.2× a bare write-only workbook); nothing else may.

Reading: `open_upload` refuses what is not a small, sane .xlsx before openpyxl parses it (size,
zip structure, compression ratio, macros; openpyxl parses XML through defusedxml when it is
installed, which pyproject requires).
"""

import zipfile
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="F1EFEB")
WRAP = Alignment(wrap_text=True, vertical="center")


def text(ws: Any, value: Any, **style: Any) -> Any:
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


def header(ws: Any, names: list[str]) -> list[Any]:
    """A header row: bold, shaded, wrapped."""
    return [text(ws, name, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for name in names]


def one_decimal(ws: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.number_format = "0.0"
    return cell


def printable(
    ws: Any,
    *,
    widths: list[int],
    header_row: int | None,
    frozen: str | None,
    orientation: str = "landscape",
) -> None:
    """Column widths, frozen panes, and A4 (landscape unless told) fitted to the page width
    with the header row repeated on every printed page. Sheets of separate blocks (slips)
    have no header row and nothing frozen."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if frozen:
        ws.freeze_panes = frozen
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def to_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _ColumnCell(Cell):
    """A styled cell reused for every row of one column. openpyxl resolves a cell's style id
    and builds an error message naming the cell each time a cell object is appended; for a
    style that never changes both are computed once."""

    def __init__(self, ws: Any, style: dict[str, Any]):
        super().__init__(ws)
        for name, setting in style.items():
            setattr(self, name, setting)
        self._style_id = str(ws.parent._cell_styles.add(self._style))

    @property
    def style_id(self) -> str:
        return self._style_id

    @property
    def has_style(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<column cell>"


def stream_styled_cells(ws: Any) -> Any:
    """Let `ws.append` take ready cells without openpyxl's detour for them (it first tries a
    cell as a value, formats an error, then replaces its placeholder cell), which costs more
    than writing the cell. Rows of plain values are written exactly as before."""

    def values_to_row(values: list[Any], row_idx: int) -> Iterator[Cell]:
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
    """A reusable styled cell for one column of a write-only sheet (after
    `stream_styled_cells`): openpyxl writes each appended cell before reading the next, so one
    object per column serves every row. The column's values are all numbers (or all text), so
    they skip openpyxl's type detection."""

    def __init__(self, ws: Any, data_type: str = "n", **style: Any):
        self.cell = _ColumnCell(ws, style)
        self.cell.data_type = data_type

    def __call__(self, value: Any) -> Cell:
        self.cell._value = value
        return self.cell


# Reading uploads.

MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 300


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


def has_macros(names: list[str]) -> bool:
    """Whether an Office Open XML archive (xlsx, docx) carries macros: they ride in
    vbaProject.bin, whatever the case of its name (the archive's names are case-sensitive,
    Office's reading of them is not)."""
    return any(name.lower().endswith("vbaproject.bin") for name in names)


def check_archive(data: bytes, filename: str, *, max_bytes: int) -> None:
    """Refuse what is not a plausible .xlsx: wrong name, too big, not a zip, a zip bomb,
    macros."""
    if not filename.lower().endswith(".xlsx"):
        raise FileRefused("只接受 .xlsx 格式的 Excel 文件（请在 Excel 中“另存为 .xlsx”）。")
    if len(data) > max_bytes:
        raise FileRefused(f"文件超过 {max_bytes // 1024 // 1024} MB，请只保留模板内容后再上传。")
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused("文件内容不是 .xlsx 格式（可能是改了扩展名的其他文件）。")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
            names = [e.filename for e in entries]
    except zipfile.BadZipFile:
        raise FileRefused("文件已损坏，无法打开。") from None
    if len(entries) > MAX_ENTRIES:
        raise FileRefused("文件内部结构异常（条目过多），已拒绝。")
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise FileRefused("文件解压后过大，已拒绝（疑似压缩炸弹）。")
    for entry in entries:
        if (
            entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
            and entry.file_size > 1_000_000
        ):
            raise FileRefused("文件压缩比异常，已拒绝（疑似压缩炸弹）。")
        if entry.filename.startswith("/") or ".." in entry.filename:
            raise FileRefused("文件内部路径异常，已拒绝。")
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= set(names):
        raise FileRefused("文件不是 Excel 工作簿（缺少工作簿内容）。")
    if has_macros(names):
        raise FileRefused("文件包含宏，已拒绝；请使用下载的模板。")


def cell_value(cell: Any) -> tuple[Any, str | None]:
    """(the value an uploaded cell holds, why it cannot be imported or None). A formula or an
    error cell is refused by name: its value is whatever a spreadsheet last computed, or
    nothing."""
    if cell.data_type == "f":
        return None, "单元格是公式，请只填写数值（可复制后“选择性粘贴 → 数值”）"
    if cell.data_type == "e":
        return None, f"单元格是错误值 {cell.value}，请填写数值"
    return cell.value, None


def open_upload(data: bytes, filename: str, *, max_bytes: int) -> Workbook:
    """The uploaded workbook, read-only, after `check_archive`. Formulas are read as formulas
    (not as the values a spreadsheet last computed for them), so that readers can refuse them."""
    check_archive(data, filename, max_bytes=max_bytes)
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise FileRefused("文件无法作为 Excel 工作簿读取，可能已损坏。") from None
