"""Reading an uploaded month template: refuse anything that is not a small, sane .xlsx before
parsing it, then turn its cells into `Cell`s that remember where in the sheet they came from."""

import hashlib
import zipfile
from dataclasses import dataclass, field
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from orgs.models import Organization

from . import exports
from .models import PointEntry
from .rules import parse_points
from .services import Cell, check_points

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 300
# A page of problems stays readable; the rest are counted, not listed.
MAX_PROBLEMS_SHOWN = 200


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass
class Problem:
    sheet: str
    row: int | None
    column: str | None
    organization: str
    item: str
    reason: str


@dataclass
class Parsed:
    cells: list = field(default_factory=list)
    positions: dict = field(default_factory=dict)  # cell key -> (sheet, row, column, org, item)
    problems: list = field(default_factory=list)


@dataclass
class Change:
    organization: str
    item: str
    old: object
    new: object


def check_archive(data, filename):
    """Refuse what is not a plausible .xlsx: wrong name, too big, not a zip, a zip bomb."""
    if not filename.lower().endswith(".xlsx"):
        raise FileRefused("只接受 .xlsx 格式的 Excel 文件（请在 Excel 中“另存为 .xlsx”）。")
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileRefused(
            f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请只保留模板内容后再上传。"
        )
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused("文件内容不是 .xlsx 格式（可能是改了扩展名的其他文件）。")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
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
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise FileRefused("文件不是 Excel 工作簿（缺少工作簿内容）。")
    if "xl/vbaProject.bin" in names:
        raise FileRefused("文件包含宏，已拒绝；请使用下载的模板。")


def parse_month_template(data, filename, *, year, month, items):
    """Read a month template into cells for `year`/`month`; every problem is collected."""
    check_archive(data, filename)
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise FileRefused("文件无法作为 Excel 工作簿读取，可能已损坏。") from None
    try:
        return _parse(workbook, year=year, month=month, items=items)
    finally:
        workbook.close()


def _parse(workbook, *, year, month, items):
    parsed = Parsed()
    if "说明" not in workbook.sheetnames:
        raise FileRefused(
            "这不是本系统下载的积分录入模板（缺少“说明”工作表），请先下载模板再填写。"
        )
    meta = {
        row[0]: row[1] for row in workbook["说明"].iter_rows(max_col=2, values_only=True) if row
    }
    if meta.get(exports.TEMPLATE_MARKER) != exports.TEMPLATE_VERSION:
        raise FileRefused("这不是本系统下载的积分录入模板，请先下载模板再填写。")
    if (meta.get("year"), meta.get("month")) != (year, month):
        raise FileRefused(
            f"这是 {meta.get('year')}年{meta.get('month')}月 的模板，不能导入到 {year}年{month}月。"
        )
    ws = workbook.worksheets[0]
    sheet = ws.title
    by_code = {item.code: item for item in items}
    rows = ws.iter_rows(min_row=exports.HEADER_ROW, values_only=True)
    header = next(rows, ())
    if tuple(header[:2]) != ("组织编码", "组织名称"):
        raise FileRefused(
            f"工作表“{sheet}”第 {exports.HEADER_ROW} 行的表头被改动过，请重新下载模板。"
        )
    columns = {}
    refused_columns = set()  # already reported in the header row
    for index, title in enumerate(header[2:], start=3):
        if title in (None, ""):
            continue
        refused_columns.add(index)
        code = str(title).split(" ", 1)[0]
        letter = get_column_letter(index)
        if code not in by_code:
            parsed.problems.append(
                Problem(
                    sheet,
                    exports.HEADER_ROW,
                    letter,
                    "",
                    str(title),
                    f"小项“{title}”不在 {year} 年度评分细则中",
                )
            )
        elif by_code[code].pk in columns.values():
            parsed.problems.append(
                Problem(sheet, exports.HEADER_ROW, letter, "", str(title), "小项列重复")
            )
        else:
            columns[index] = by_code[code].pk
            refused_columns.discard(index)
    next(rows, None)  # the caps row
    codes = {}
    sheet_rows = []
    for number, row in enumerate(rows, start=exports.FIRST_DATA_ROW):
        if not any(v not in (None, "") for v in row):
            continue
        code = str(row[0]).strip() if row[0] is not None else ""
        sheet_rows.append((number, code, row))
        codes[code] = codes.get(code, 0) + 1
    organizations = {
        o.code: o
        for o in Organization.objects.scored()
        .filter(code__in=list(codes))
        .only("pk", "code", "name", "short_name")
    }
    item_labels = {item.pk: item.label for item in items}
    for number, code, row in sheet_rows:
        name = str(row[1] or "")
        if not code:
            parsed.problems.append(Problem(sheet, number, "A", name, "", "缺少组织编码"))
            continue
        org = organizations.get(code)
        if org is None:
            parsed.problems.append(
                Problem(
                    sheet, number, "A", f"{code} {name}".strip(), "", "组织编码不存在或该组织未在用"
                )
            )
            continue
        if codes[code] > 1:
            parsed.problems.append(
                Problem(sheet, number, "A", org.name, "", "该组织在文件中出现了多次")
            )
            continue
        for index, value in enumerate(row[2:], start=3):
            if index not in columns and value not in (None, "") and index not in refused_columns:
                # Typed beside the items: importing without it would drop it silently.
                parsed.problems.append(
                    Problem(
                        sheet,
                        number,
                        get_column_letter(index),
                        org.name,
                        "",
                        "此列没有小项表头，填写的数据无法导入",
                    )
                )
        for index, item_id in columns.items():
            value = row[index - 1] if index - 1 < len(row) else None
            cell = Cell(organization_id=org.pk, item_id=item_id, month=month, value=value)
            parsed.cells.append(cell)
            parsed.positions[cell.key] = (
                sheet,
                number,
                get_column_letter(index),
                org.name,
                item_labels[item_id],
            )
    return parsed


def validate(parsed, *, year):
    """Add every cell the rules refuse to the parsed file's problems, also when its header or
    rows have problems of their own, and return them all in sheet order."""
    for error in check_points(year=year, cells=parsed.cells):
        sheet, row, column, org, item = parsed.positions[error.cell.key]
        reason = error.message.split("：", 1)[-1]
        parsed.problems.append(Problem(sheet, row, column, org, item, reason))
    parsed.problems.sort(key=lambda p: (p.row or 0, column_index_from_string(p.column or "A")))
    return parsed.problems


def changes(parsed, *, year, month):
    """(cells that would change, [Change]) compared with the database now."""
    org_ids = {c.organization_id for c in parsed.cells}
    current = {
        (e.organization_id, e.item_id, e.month): e.points
        for e in PointEntry.objects.filter(organization_id__in=org_ids, year=year, month=month)
    }
    changed, result = [], []
    for cell in parsed.cells:
        new = parse_points(cell.value)
        old = current.get(cell.key)
        if new != old:
            _, _, _, org, item = parsed.positions[cell.key]
            changed.append(cell)
            result.append(Change(org, item, old, new))
    return changed, result


def fingerprint(change_list):
    text = "\n".join(f"{c.organization}|{c.item}|{c.old}|{c.new}" for c in change_list)
    return hashlib.sha256(text.encode()).hexdigest()
