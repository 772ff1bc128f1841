"""The month's entry template: written with every organization's current values, read back
into `Cell`s that remember where in the sheet they came from. A file with any bad cell is
refused whole, with every bad cell named."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from orgs.models import Organization, OrganizationQuerySet, Zone
from partybuild import xlsx

from ..models import Item, PointEntry, RuleSet
from ..rules import parse_points
from ..services.points import Cell, Key, check_points, rooms

MARKER = "基层党组织积分录入模板"
VERSION = 2
ROOM_SHEET = "本季度还可记"
HEADER_ROW = 3
CAP_ROW = 4
FIRST_DATA_ROW = 5
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A page of problems stays readable; the rest are counted, not listed.
MAX_PROBLEMS_SHOWN = 200


def rows(
    rule_set: RuleSet, items: list[Item], year: int, month: int, organizations: Any
) -> Iterator[list[Any]]:
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
        *(-i.quarterly_cap if i.is_deduction else i.quarterly_cap for i in items),
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


def write(
    rule_set: RuleSet, year: int, month: int, organizations: OrganizationQuerySet | None = None
) -> bytes:
    """The template of the rule set's zone for (year, month): its scored organizations, or
    those of `organizations` (the grid's filter)."""
    if organizations is None:
        organizations = Organization.objects.in_zone(rule_set.zone_id).scored()
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年{month}月")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    ws.freeze_panes = f"C{FIRST_DATA_ROW}"
    for number, row in enumerate(
        rows(rule_set, rule_set.ordered_items(), year, month, organizations), start=1
    ):
        if number == 1:
            ws.append([xlsx.text(ws, row[0], font=xlsx.TITLE)])
        elif number in (HEADER_ROW, CAP_ROW):
            ws.append(xlsx.header(ws, row))
        else:
            ws.append([xlsx.text(ws, v) for v in row])
    _room_sheet(workbook, rule_set, year, month, organizations)
    meta = workbook.create_sheet("说明")
    meta.sheet_state = "hidden"
    for line in (
        [MARKER, VERSION],
        ["年度", year],
        ["月份", month],
        ["用途", "供系统识别这份模板的年度和月份，请勿修改本工作表。"],
    ):
        meta.append(line)
    return xlsx.to_bytes(workbook)


def _room_sheet(
    workbook: Workbook, rule_set: RuleSet, year: int, month: int, organizations: Any
) -> None:
    """What each organization's quarter still allows per item this month (as the grid shows
    it), beside the sheet to fill in: not read back on import."""
    ws = workbook.create_sheet(ROOM_SHEET)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    ws.freeze_panes = f"C{HEADER_ROW + 1}"
    items = rule_set.ordered_items()
    orgs = list(organizations.only("pk", "code", "name"))
    left = rooms(org_ids=[o.pk for o in orgs], year=year, items=items, months=[month])
    ws.append(
        [xlsx.text(ws, f"{year}年{month}月 各组织本季度各小项本月还可记的分数", font=xlsx.TITLE)]
    )
    ws.append(
        [
            "按季度上限减去本季度其他月份已记的分数；扣分项为还可扣的分数。"
            "仅供参考，导入时不读取本工作表，填写请在第一个工作表。"
        ]
    )
    ws.append(xlsx.header(ws, ["组织编码", "组织名称", *(item.label for item in items)]))
    for org in orgs:
        ws.append(
            [org.code, xlsx.text(ws, org.name), *(left[(org.pk, i.pk, month)].left for i in items)]
        )


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
    cells: list[Cell] = field(default_factory=list)
    # cell key -> (sheet, row, column, organization, item)
    positions: dict[Key, tuple[str, int, str, str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Change:
    organization: str
    item: str
    old: Decimal | None
    new: Decimal | None


def parse(
    data: bytes, filename: str, *, zone: Zone, year: int, month: int, items: list[Item]
) -> Parsed:
    """Read a month template of the zone into cells for `year`/`month`; every problem is
    collected."""
    workbook = xlsx.open_upload(data, filename, max_bytes=MAX_UPLOAD_BYTES)
    try:
        return _parse(workbook, zone=zone, year=year, month=month, items=items)
    finally:
        workbook.close()


def _parse(workbook: Any, *, zone: Zone, year: int, month: int, items: list[Item]) -> Parsed:
    parsed = Parsed()
    if "说明" not in workbook.sheetnames:
        raise xlsx.FileRefused(
            "这不是本系统下载的积分录入模板（缺少“说明”工作表），请先下载模板再填写。"
        )
    meta = {
        row[0]: row[1] for row in workbook["说明"].iter_rows(max_col=2, values_only=True) if row
    }
    if meta.get(MARKER) != VERSION:
        raise xlsx.FileRefused("这不是本系统下载的积分录入模板，请先下载模板再填写。")
    if (meta.get("年度"), meta.get("月份")) != (year, month):
        raise xlsx.FileRefused(
            f"这是 {meta.get('年度')}年{meta.get('月份')}月 的模板，不能导入到 {year}年{month}月。"
        )
    ws = workbook.worksheets[0]
    sheet = ws.title
    by_code = {item.code: item for item in items}
    sheet_rows = ws.iter_rows(min_row=HEADER_ROW)
    header = [c.value for c in next(sheet_rows, ())]
    if tuple(header[:2]) != ("组织编码", "组织名称"):
        raise xlsx.FileRefused(f"工作表“{sheet}”第 {HEADER_ROW} 行的表头被改动过，请重新下载模板。")
    columns: dict[int, int] = {}
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
                    HEADER_ROW,
                    letter,
                    "",
                    str(title),
                    f"小项“{title}”不在 {year} 年度评分细则中",
                )
            )
        elif by_code[code].pk in columns.values():
            parsed.problems.append(Problem(sheet, HEADER_ROW, letter, "", str(title), "小项列重复"))
        else:
            columns[index] = by_code[code].pk
            refused_columns.discard(index)
    next(sheet_rows, None)  # the caps row
    codes: dict[str, int] = {}
    found = []
    for number, cells in enumerate(sheet_rows, start=FIRST_DATA_ROW):
        row = [xlsx.cell_value(c) for c in cells]
        if not any(v not in (None, "") or why for v, why in row):
            continue
        code = str(row[0][0]).strip() if row and row[0][0] is not None else ""
        found.append((number, code, row))
        codes[code] = codes.get(code, 0) + 1
    organizations = {
        o.code: o
        for o in Organization.objects.in_zone(zone)
        .scored()
        .filter(code__in=list(codes))
        .only("pk", "code", "name", "short_name")
    }
    item_labels = {item.pk: item.label for item in items}
    for number, code, row in found:
        name = str(row[1][0] or "") if len(row) > 1 else ""
        if row[0][1]:
            # A formula or error where the code goes: say so, not that the code is missing.
            parsed.problems.append(Problem(sheet, number, "A", name, "", row[0][1]))
            continue
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
        for index, (value, why) in enumerate(row[2:], start=3):
            letter = get_column_letter(index)
            if index in columns:
                item = item_labels[columns[index]]
                if why:
                    parsed.problems.append(Problem(sheet, number, letter, org.name, item, why))
            elif (value not in (None, "") or why) and index not in refused_columns:
                # Typed beside the items: importing without it would drop it silently.
                parsed.problems.append(
                    Problem(
                        sheet, number, letter, org.name, "", "此列没有小项表头，填写的数据无法导入"
                    )
                )
        for index, item_id in columns.items():
            value, why = row[index - 1] if index - 1 < len(row) else (None, None)
            if why:
                continue
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


def validate(parsed: Parsed, *, zone: Zone, year: int) -> list[Problem]:
    """Add every cell the rules refuse to the parsed file's problems, also when its header or
    rows have problems of their own, and return them all in sheet order."""
    for error in check_points(zone=zone, year=year, cells=parsed.cells):
        sheet, row, column, org, item = parsed.positions[error.cell.key]
        parsed.problems.append(Problem(sheet, row, column, org, item, error.why))
    parsed.problems.sort(key=lambda p: (p.row or 0, column_index_from_string(p.column or "A")))
    return parsed.problems


def changes(parsed: Parsed, *, year: int, month: int) -> tuple[list[Cell], list[Change]]:
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


def fingerprint(change_list: list[Change]) -> str:
    text = "\n".join(f"{c.organization}|{c.item}|{c.old}|{c.new}" for c in change_list)
    return hashlib.sha256(text.encode()).hexdigest()
