"""The organization registry (党组织名册) from Excel: read every cell, refuse the whole file when
any is bad (naming each: sheet, row, column, value, why), and plan what importing it changes —
created, changed (old → new), moved, and the organizations missing from the file, which are
only deactivated when the user ticks them. `apply` makes a plan in one transaction.

An organization is matched by its code (组织编码) within the zone: re-importing updates it. A
parent may come later in the file than its children. The covered units listed for an
organization in the file are all of its units; organizations not in the file keep theirs.
"""

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl.utils import get_column_letter

from partybuild import xlsx
from partybuild.inputs import unreadable

from . import credit_code
from .accounts import open_secretary_accounts
from .forms import BRANCH_KINDS, PARENT_KINDS
from .models import (
    MAX_MEMBERS,
    MIN_MEMBERS,
    PARTY_FOUNDED,
    CoveredUnit,
    Kind,
    Organization,
    Role,
    Sector,
    Tier,
    TierAssignment,
    TierSource,
    User,
    Zone,
    code_validator,
    phone_validator,
)

ORG_SHEET = "党组织名册"
UNIT_SHEET = "覆盖单位"
GUIDE_SHEET = "填写说明"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A page of problems stays readable; the rest are counted, not listed.
MAX_PROBLEMS_SHOWN = 200
YES, NO = "是", "否"
ACTIVE, INACTIVE = "在用", "停用"


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    guide: str


ORG_COLUMNS = [
    Column(
        "组织编码",
        16,
        "必填。本区内唯一，2–20 位字母、数字或连字符；再次导入时按编码更新，不会重复创建。",
    ),
    Column("组织名称", 36, "必填，全称，最多 100 字。"),
    Column("简称", 18, "必填，最多 40 字，用于列表和图表。"),
    Column(
        "组织类别", 12, "必填：" + "、".join(Kind.labels) + "。党工委只有一个，即本区组织树的根。"
    ),
    Column("类型", 14, "必填：" + "、".join(Sector.labels) + "。"),
    Column(
        "上级组织编码",
        16,
        "除本区党工委外必填：上级组织的组织编码（本文件中或系统中已有的组织，可写在下级之后）。"
        "上级只能是党工委、党委或党总支。",
    ),
    Column("党员人数", 10, f"必填，{MIN_MEMBERS}–{MAX_MEMBERS} 的整数。"),
    Column("成立日期", 12, "必填，如 2015-07-01；不早于 1921-07-01，不晚于今天。"),
    Column("党建示范点", 10, "填“是”或“否”，空白为否。"),
    Column("初始分类", 10, "A、B 或 C：本年度的分类；空白表示暂不分类（已有组织则保持不变）。"),
    Column("书记姓名", 12, "与书记手机号一起填写；两者都空白时不改动书记。"),
    Column(
        "书记手机号",
        14,
        "11 位手机号，即书记账号的用户名。系统中没有该手机号的账号时新建账号并生成初始密码"
        "（打印在开通通知单上，首次登录须修改）；已有账号则直接关联。每个手机号只能出现一次。",
    ),
    Column(
        "届满日期", 12, "本届任期届满的日期，如 2027-06-30；可空白。届满前三个月起在列表中提醒。"
    ),
    Column("状态", 8, "“在用”或“停用”，空白为在用。停用的组织不再参加积分。"),
]
UNIT_COLUMNS = [
    Column("所属组织编码", 16, "必填：本文件“党组织名册”中的组织编码。"),
    Column("单位名称", 36, "必填，最多 100 字；同一组织下不能重复。"),
    Column(
        "统一社会信用代码",
        22,
        "18 位，可空白；按 GB 32100-2015 检查校验位。同一代码只能登记一个单位。",
    ),
    Column("单位类型", 14, "必填：" + "、".join(CoveredUnit.Kind.labels) + "。"),
    Column("职工人数", 10, "可空白，0–1000000 的整数。"),
]
GUIDE = [
    "党组织名册填写说明",
    "1. 第一个工作表“党组织名册”每行一个党组织，第二个工作表“覆盖单位”每行一个覆盖单位。"
    "请勿改动表头；空行会被忽略。",
    "2. 导入时先检查全部单元格：任何一处有误，整个文件都不导入，并逐一列出有误的工作表、行、列和原因。",
    "3. 文件正确时先显示预览：将新建、修改（原值 → 新值）、调整上级的组织，以及系统中有而文件中没有的组织。"
    "文件中没有的组织只有在预览中勾选后才会停用，从不删除。",
    "4. 文件中列出的组织，其覆盖单位以本文件“覆盖单位”工作表为准；文件中没有的组织，覆盖单位不变。",
    "5. 书记账号的用户名是书记手机号。新建的账号有一次性初始密码，只打印在导入完成后的开通通知单上，"
    "系统不保存明文，首次登录时必须修改。",
    "6. 日期可填 Excel 日期或文字（2015-07-01、2015/7/1、2015年7月1日）；手机号、编码请设为文本格式，以免丢失开头的 0。",
]

ORG_TITLES = [c.title for c in ORG_COLUMNS]
UNIT_TITLES = [c.title for c in UNIT_COLUMNS]


@dataclass
class Problem:
    sheet: str
    row: int | None
    column: str
    title: str
    value: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.sheet}：{self.reason}" if self.sheet else self.reason
        value = f"“{self.value}”" if self.value else "（空白）"
        return f"{self.sheet} 第{self.row}行 {self.column}列（{self.title}）{value}：{self.reason}"


@dataclass
class OrgRow:
    row: int
    code: str
    name: str
    short_name: str
    kind: str
    sector: str
    parent: str
    member_count: int
    founded_on: datetime.date
    is_demo_point: bool
    tier: str
    secretary_name: str
    phone: str
    term_ends_on: datetime.date | None
    is_active: bool

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


@dataclass
class UnitRow:
    row: int
    organization: str
    name: str
    credit_code: str
    kind: str
    employee_count: int | None

    def key(self) -> tuple[Any, ...]:
        return (self.name, self.credit_code, self.kind, self.employee_count)


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Changed:
    organization: Organization
    row: OrgRow
    changes: list[Change]


@dataclass
class Moved:
    organization: Organization
    row: OrgRow
    old_parent: str
    new_parent: str


@dataclass
class Plan:
    zone: Zone
    year: int
    rows: list[OrgRow]
    units: dict[str, list[UnitRow]]
    existing: dict[str, Organization]
    created: list[OrgRow] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    missing: list[Organization] = field(default_factory=list)
    new_accounts: list[OrgRow] = field(default_factory=list)
    # code -> parent code (None for the root): now, and after the import (the zone's
    # organizations not in the file keep theirs)
    current_parents: dict[str, str | None] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)
    unit_changes: set[str] = field(default_factory=set)
    tier_changes: set[str] = field(default_factory=set)
    secretary_changes: set[str] = field(default_factory=set)

    @property
    def is_empty(self) -> bool:
        return not (self.created or self.changed or self.moved or self.missing)

    def fingerprint(self) -> str:
        """What the preview showed, to tell at confirmation whether anything changed since."""
        lines = [f"+{r.code}|{r.name}|{r.parent}" for r in self.created]
        for c in self.changed:
            lines += [f"~{c.row.code}|{x.label}|{x.old}|{x.new}" for x in c.changes]
        lines += [f">{m.row.code}|{m.old_parent}|{m.new_parent}" for m in self.moved]
        lines += [f"-{o.pk}|{o.code}" for o in self.missing]
        lines += [f"@{r.code}|{r.phone}" for r in self.new_accounts]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class Refused(Exception):
    """The file has bad cells; `problems` names every one of them."""

    def __init__(self, problems: list[Problem]):
        first = "；".join(str(p) for p in problems[:3])
        super().__init__(f"文件有 {len(problems)} 处错误，整个文件未导入：{first}")
        self.problems = problems


# Reading cells.

DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
KIND_BY_LABEL = {label: value for value, label in Kind.choices}
SECTOR_BY_LABEL = {label: value for value, label in Sector.choices}
UNIT_KIND_BY_LABEL = {label: value for value, label in CoveredUnit.Kind.choices}
TIERS = {t.value: t.value for t in Tier} | {t.label: t.value for t in Tier}
TIERS |= {f"{t.value}类": t.value for t in Tier}


def _valid(validator: Callable[[str], None], value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _normal(text: str) -> str:
    """Full-width parentheses and spaces, as a Chinese IME types them, read as plain ones."""
    return text.replace("（", "(").replace("）", ")").replace("\u3000", " ").strip()


def parse_date(value: Any) -> datetime.date | None:
    """A date cell or a date written as text; None when it is not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_TEXT.match(str(value).strip())
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


class _Row:
    """One row of a sheet: reads its cells by column title, noting every problem."""

    def __init__(self, sheet: str, number: int, cells: dict[str, Any], columns: dict[str, int]):
        self.sheet, self.number, self.cells, self.columns = sheet, number, cells, columns
        self.problems: list[Problem] = []

    def problem(self, title: str, value: Any, reason: str) -> None:
        shown = "" if value in (None, "") else str(value)
        letter = get_column_letter(self.columns[title])
        self.problems.append(Problem(self.sheet, self.number, letter, title, shown, reason))

    def text(self, title: str, *, required: bool = False, max_length: int = 100) -> str:
        value, why = self.cells.get(title, (None, None))
        if why:
            self.problem(title, value, why)
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.problem(title, "", "必填，不能空白")
        elif (bad := unreadable(text)) is not None:
            self.problem(title, text, bad)
            return ""
        elif len(text) > max_length:
            self.problem(title, text, f"最多 {max_length} 字，这里有 {len(text)} 字")
        return text

    def choice(
        self, title: str, choices: dict[str, str], shown: list[str], *, required: bool = True
    ) -> str:
        text = _normal(self.text(title, required=required))
        if text and text not in choices:
            self.problem(title, text, f"不是可选的{title}（可选：{'、'.join(shown)}）")
            return ""
        return choices.get(text, "")

    def integer(self, title: str, low: int, high: int, *, required: bool) -> int | None:
        value, why = self.cells.get(title, (None, None))
        if why:
            self.problem(title, value, why)
            return None
        if value in (None, ""):
            if required:
                self.problem(title, "", "必填，不能空白")
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        if number is None:
            self.problem(title, value, "应为整数")
        elif not low <= number <= high:
            self.problem(title, value, f"应在 {low}–{high} 之间")
            return None
        return number

    def date(self, title: str, *, required: bool) -> datetime.date | None:
        value, why = self.cells.get(title, (None, None))
        if why:
            self.problem(title, value, why)
            return None
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(title, "", "必填，不能空白")
            return None
        day = parse_date(value)
        if day is None:
            self.problem(title, value, "不是日期（应如 2015-07-01）")
        return day

    def flag(self, title: str, yes: str, no: str) -> bool:
        text = self.text(title)
        if text not in ("", yes, no):
            self.problem(title, text, f"只能填“{yes}”或“{no}”，或空白")
        return text == yes


def _sheet_rows(workbook: Any, name: str, titles: list[str]) -> tuple[list[_Row], list[Problem]]:
    """The non-empty rows of sheet `name` under its header row, and the cells filled in
    beside the registry's columns (refused: importing without them would drop them)."""
    if name not in workbook.sheetnames:
        raise xlsx.FileRefused(f"文件中没有“{name}”工作表，请使用下载的名册模板。")
    ws = workbook[name]
    rows = ws.iter_rows()
    header = [xlsx.cell_value(c)[0] for c in next(rows, ())]
    columns: dict[str, int] = {}
    extra: dict[int, str] = {}
    for index, title in enumerate(header, start=1):
        title = "" if title is None else str(title).strip()
        if title in titles and title not in columns:
            columns[title] = index
        elif title:
            extra[index] = title
    absent = [t for t in titles if t not in columns]
    if absent:
        raise xlsx.FileRefused(
            f"“{name}”工作表第 1 行缺少表头：{'、'.join(absent)}。请使用下载的名册模板，不要改动表头。"
        )
    problems = []
    by_index = {index: title for title, index in columns.items()}
    found = []
    for number, cells in enumerate(rows, start=2):
        values: dict[str, Any] = {}
        stray = []
        for index, cell in enumerate(cells, start=1):
            value, why = xlsx.cell_value(cell)
            if not why and (value is None or (isinstance(value, str) and not value.strip())):
                continue
            if index in by_index:
                values[by_index[index]] = (value, why)
            else:
                stray.append((index, value, why))
        if not values and not stray:
            continue
        for index, value, why in stray:
            title = extra.get(index, "")
            problems.append(
                Problem(
                    name,
                    number,
                    get_column_letter(index),
                    title or "无表头",
                    "" if value is None else str(value),
                    why or "此列不是名册的列，填写的内容无法导入",
                )
            )
        found.append(_Row(name, number, values, columns))
    return found, problems


def read(data: bytes, filename: str) -> tuple[list[OrgRow], list[UnitRow], list[Problem]]:
    """The file's organizations and covered units, and every cell problem found reading them
    one by one (checks across rows and against the database come in `plan`)."""
    workbook = xlsx.open_upload(data, filename, max_bytes=MAX_UPLOAD_BYTES)
    try:
        org_rows, problems = _sheet_rows(workbook, ORG_SHEET, ORG_TITLES)
        unit_rows, unit_problems = _sheet_rows(workbook, UNIT_SHEET, UNIT_TITLES)
    finally:
        workbook.close()
    problems += unit_problems
    orgs, units = [], []
    today = timezone.localdate()
    for r in org_rows:
        code = r.text("组织编码", required=True, max_length=20).upper()
        founded = r.date("成立日期", required=True)
        if founded and not PARTY_FOUNDED <= founded <= today:
            r.problem("成立日期", founded.isoformat(), "不能早于 1921-07-01，也不能晚于今天")
        phone = r.text("书记手机号", max_length=20)
        if phone and not _valid(phone_validator, phone):
            r.problem("书记手机号", phone, "应为以 1 开头的 11 位数字")
        row = OrgRow(
            row=r.number,
            code=code,
            name=r.text("组织名称", required=True),
            short_name=r.text("简称", required=True, max_length=40),
            kind=r.choice("组织类别", KIND_BY_LABEL, Kind.labels),
            sector=r.choice("类型", SECTOR_BY_LABEL, Sector.labels),
            parent=r.text("上级组织编码", max_length=20).upper(),
            member_count=r.integer("党员人数", MIN_MEMBERS, MAX_MEMBERS, required=True) or 0,
            founded_on=founded or today,
            is_demo_point=r.flag("党建示范点", YES, NO),
            tier=r.choice("初始分类", TIERS, Tier.values, required=False),
            secretary_name=r.text("书记姓名", max_length=30),
            phone=phone,
            term_ends_on=r.date("届满日期", required=False),
            is_active=not r.flag("状态", INACTIVE, ACTIVE),
        )
        if row.phone and not row.secretary_name:
            r.problem("书记姓名", "", "填写了书记手机号，也要填写书记姓名")
        orgs.append(row)
        problems += r.problems
    for r in unit_rows:
        code = r.text("统一社会信用代码", max_length=18).upper()
        if code and (why := credit_code.problem(code)):
            r.problem("统一社会信用代码", code, why)
        units.append(
            UnitRow(
                row=r.number,
                organization=r.text("所属组织编码", required=True, max_length=20).upper(),
                name=r.text("单位名称", required=True),
                credit_code=code,
                kind=r.choice("单位类型", UNIT_KIND_BY_LABEL, CoveredUnit.Kind.labels),
                employee_count=r.integer("职工人数", 0, 1_000_000, required=False),
            )
        )
        problems += r.problems
    return orgs, units, problems


# Planning: the file against itself and against the zone.


def _cell(sheet: str, row: int, title: str, value: str, reason: str) -> Problem:
    titles = ORG_TITLES if sheet == ORG_SHEET else UNIT_TITLES
    letter = get_column_letter(titles.index(title) + 1)
    return Problem(sheet, row, letter, title, value, reason)


def _secretary_label(name: str, phone: str) -> str:
    return f"{name} {phone}".strip() or "（无）"


def _yes(flag: bool) -> str:
    return YES if flag else NO


def _date(day: datetime.date | None) -> str:
    return day.isoformat() if day else "（空白）"


def _units_label(units: Iterable[tuple[Any, ...]]) -> str:
    names = [u[0] for u in units]
    return "、".join(names) if names else "（无）"


def plan(
    *, zone: Zone, year: int, org_rows: list[OrgRow], unit_rows: list[UnitRow]
) -> tuple[Plan, list[Problem]]:
    """What importing the rows into `zone` would do, and every problem found checking them
    against each other and against the zone (duplicate codes, unknown or impossible parents,
    cycles, duplicate phones and credit codes, accounts that cannot be linked)."""
    problems: list[Problem] = []
    existing = {
        o.code: o
        for o in Organization.objects.in_zone(zone).select_related("secretary").order_by("path")
    }
    root = next((o for o in existing.values() if o.depth == 1), None)
    root_code = root.code if root else ""
    by_path = {o.path: o for o in existing.values()}

    # Duplicate codes: every row after the first is named.
    first: dict[str, int] = {}
    rows: list[OrgRow] = []
    for r in org_rows:
        if not r.code:
            continue
        if r.code in first:
            problems.append(
                _cell(ORG_SHEET, r.row, "组织编码", r.code, f"组织编码与第 {first[r.code]} 行重复")
            )
            continue
        if r.code not in existing and not _valid(code_validator, r.code):
            problems.append(
                _cell(ORG_SHEET, r.row, "组织编码", r.code, str(code_validator.message))
            )
            continue
        first[r.code] = r.row
        rows.append(r)
    in_file = {r.code: r for r in rows}

    # The final tree: the file's parents, the zone's for organizations not in the file.
    current_parents: dict[str, str | None] = {}
    for o in existing.values():
        parent = by_path.get(o.path[: -Organization.steplen]) if o.depth > 1 else None
        current_parents[o.code] = parent.code if parent else None
    parents = dict(current_parents)
    kinds = {code: o.kind for code, o in existing.items()}
    for r in rows:
        kinds[r.code] = r.kind
    for r in rows:
        if r.code == root_code:
            if r.parent:
                problems.append(
                    _cell(
                        ORG_SHEET,
                        r.row,
                        "上级组织编码",
                        r.parent,
                        "本区党工委是组织树的根，不能有上级组织",
                    )
                )
            if r.kind and r.kind != Kind.WORKING_COMMITTEE:
                problems.append(
                    _cell(
                        ORG_SHEET,
                        r.row,
                        "组织类别",
                        Kind(r.kind).label,
                        "本区党工委的组织类别只能是党工委",
                    )
                )
            if not r.is_active:
                problems.append(_cell(ORG_SHEET, r.row, "状态", INACTIVE, "本区党工委不能停用"))
            continue
        if r.kind == Kind.WORKING_COMMITTEE:
            problems.append(
                _cell(
                    ORG_SHEET,
                    r.row,
                    "组织类别",
                    Kind(r.kind).label,
                    f"党工委每个开发区只有一个（本区为 {root_code}），其他组织不能是党工委",
                )
            )
        if not r.parent:
            problems.append(
                _cell(
                    ORG_SHEET,
                    r.row,
                    "上级组织编码",
                    "",
                    f"必填：只有本区党工委（{root_code}）可以没有上级组织",
                )
            )
            continue
        if r.parent not in in_file and r.parent not in existing:
            problems.append(
                _cell(
                    ORG_SHEET,
                    r.row,
                    "上级组织编码",
                    r.parent,
                    "上级组织编码在本文件和本区系统中都不存在",
                )
            )
            continue
        if r.parent == r.code:
            problems.append(
                _cell(ORG_SHEET, r.row, "上级组织编码", r.parent, "上级组织不能是它自己")
            )
            continue
        parent_kind = kinds.get(r.parent)
        if parent_kind and parent_kind not in PARENT_KINDS:
            problems.append(
                _cell(
                    ORG_SHEET,
                    r.row,
                    "上级组织编码",
                    r.parent,
                    f"上级组织是{Kind(parent_kind).label}，只有党工委、党委、党总支可以有下级组织",
                )
            )
        parents[r.code] = r.parent
    problems += _cycles(parents, in_file)
    # An organization that keeps children in the zone cannot become a branch.
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in parents.items():
        if parent is not None:
            children[parent].append(code)
    for r in rows:
        if r.kind in BRANCH_KINDS and r.code in existing:
            kept = [c for c in children.get(r.code, []) if c not in in_file]
            if kept:
                problems.append(
                    _cell(
                        ORG_SHEET,
                        r.row,
                        "组织类别",
                        Kind(r.kind).label,
                        f"该组织下还有下级组织（如 {kept[0]}），不能改为{Kind(r.kind).label}",
                    )
                )

    problems += _check_phones(zone, rows, existing)
    units, unit_problems = _check_units(zone, unit_rows, in_file)
    problems += unit_problems
    result = Plan(
        zone=zone,
        year=year,
        rows=rows,
        units=units,
        existing=existing,
        current_parents=current_parents,
        parents=parents,
    )
    if problems:
        return result, problems
    _compare(result)
    return result, []


def _cycles(parents: dict[str, str | None], in_file: dict[str, OrgRow]) -> list[Problem]:
    """Every row of the file whose parent chain comes back to itself."""
    problems = []
    state: dict[str, int] = {}  # 1 = being walked, 2 = reaches the root
    for start in parents:
        chain = []
        code: str | None = start
        while code is not None and state.get(code) is None:
            state[code] = 1
            chain.append(code)
            code = parents.get(code)
        if code is not None and state[code] == 1:
            loop = chain[chain.index(code) :]
            shown = " → ".join([*loop, code])
            for member in loop:
                if member in in_file:
                    r = in_file[member]
                    problems.append(
                        _cell(
                            ORG_SHEET, r.row, "上级组织编码", r.parent, f"上级组织形成循环：{shown}"
                        )
                    )
        for member in chain:
            state[member] = 2
    return problems


def _check_phones(zone: Zone, rows: list[OrgRow], existing: dict[str, Organization]) -> list:
    problems = []
    first: dict[str, int] = {}
    for r in rows:
        if not r.phone:
            if r.secretary_name:
                current = existing.get(r.code)
                held = current.secretary if current else None
                if held is None or held.display_name != r.secretary_name:
                    problems.append(
                        _cell(
                            ORG_SHEET,
                            r.row,
                            "书记手机号",
                            "",
                            "填写了书记姓名，也要填写书记手机号（书记账号的用户名）",
                        )
                    )
            continue
        if r.phone in first:
            problems.append(
                _cell(
                    ORG_SHEET,
                    r.row,
                    "书记手机号",
                    r.phone,
                    f"手机号与第 {first[r.phone]} 行重复：一人只能任一个组织的书记",
                )
            )
            continue
        first[r.phone] = r.row
    phones = list(first)
    users = User.objects.filter(Q(username__in=phones) | Q(phone__in=phones)).select_related("zone")
    by_row = {r.phone: r for r in rows if r.phone}
    for user in users:
        for phone in {user.username, user.phone} & by_row.keys():
            r = by_row[phone]
            if user.username != phone:
                why = f"手机号已登记在账号“{user.username}”上，请先在账号管理中处理该账号"
            elif user.role != Role.SECRETARY or user.zone_id != zone.pk:
                why = "该手机号已是本区以外或非书记角色的账号，不能作为本组织书记"
            elif not user.is_active:
                why = "该手机号的书记账号已停用，请先在账号管理中启用"
            else:
                continue
            problems.append(_cell(ORG_SHEET, r.row, "书记手机号", phone, why))
    return problems


def _check_units(
    zone: Zone, unit_rows: list[UnitRow], in_file: dict[str, OrgRow]
) -> tuple[dict[str, list[UnitRow]], list[Problem]]:
    problems = []
    units: dict[str, list[UnitRow]] = defaultdict(list)
    names: dict[tuple[str, str], int] = {}
    codes: dict[str, int] = {}
    for u in unit_rows:
        if not u.organization:
            continue
        if u.organization not in in_file:
            problems.append(
                _cell(
                    UNIT_SHEET,
                    u.row,
                    "所属组织编码",
                    u.organization,
                    "不在本文件的“党组织名册”工作表中",
                )
            )
            continue
        if u.name and (u.organization, u.name) in names:
            first = names[(u.organization, u.name)]
            problems.append(
                _cell(UNIT_SHEET, u.row, "单位名称", u.name, f"同一组织下与第 {first} 行单位重名")
            )
            continue
        names[(u.organization, u.name)] = u.row
        if u.credit_code:
            if u.credit_code in codes:
                problems.append(
                    _cell(
                        UNIT_SHEET,
                        u.row,
                        "统一社会信用代码",
                        u.credit_code,
                        f"与第 {codes[u.credit_code]} 行单位的统一社会信用代码重复",
                    )
                )
                continue
            codes[u.credit_code] = u.row
        units[u.organization].append(u)
    # Codes already held by a unit this import does not replace (another zone's, or of an
    # organization of this zone that is not in the file).
    taken = CoveredUnit.objects.filter(credit_code__in=list(codes)).exclude(
        organization__zone=zone, organization__code__in=list(in_file)
    )
    for unit in taken.select_related("organization"):
        u_row = codes[unit.credit_code]
        problems.append(
            _cell(
                UNIT_SHEET,
                u_row,
                "统一社会信用代码",
                unit.credit_code,
                f"已登记在其他组织（{unit.organization.name}）的覆盖单位“{unit.name}”下",
            )
        )
    return units, problems


def _compare(result: Plan) -> None:
    """Fill in the plan: what is created, changed, moved and missing."""
    zone, year, existing = result.zone, result.year, result.existing
    tiers = dict(Organization.objects.in_zone(zone).with_tier(year).values_list("code", "tier"))
    current_units: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for unit in CoveredUnit.objects.filter(organization__zone=zone).order_by("pk"):
        current_units[unit.organization_id].append(
            (unit.name, unit.credit_code, unit.kind, unit.employee_count)
        )
    phones = {r.phone for r in result.rows if r.phone}
    accounts = set(User.objects.filter(username__in=phones).values_list("username", flat=True))
    for r in result.rows:
        org = existing.get(r.code)
        file_units = [u.key() for u in result.units.get(r.code, [])]
        if r.phone and r.phone not in accounts:
            result.new_accounts.append(r)
        if org is None:
            result.created.append(r)
            continue
        changes = _field_changes(org, r)
        if r.tier and r.tier != tiers.get(r.code):
            old = tiers.get(r.code)
            changes.append(Change(f"{year} 年度分类", old or "（未分类）", r.tier))
            result.tier_changes.add(r.code)
        held = org.secretary
        held_phone = (held.phone or held.username) if held else ""
        if r.phone and (r.phone != held_phone or r.secretary_name != held.display_name):
            old = _secretary_label(held.display_name, held.phone) if held else "（无）"
            changes.append(Change("书记", old, _secretary_label(r.secretary_name, r.phone)))
            result.secretary_changes.add(r.code)
        if sorted(file_units, key=str) != sorted(current_units.get(org.pk, []), key=str):
            changes.append(
                Change(
                    "覆盖单位",
                    _units_label(current_units.get(org.pk, [])),
                    _units_label(file_units),
                )
            )
            result.unit_changes.add(r.code)
        if changes:
            result.changed.append(Changed(org, r, changes))
        old_parent = result.current_parents.get(r.code)
        if org.depth > 1 and old_parent != r.parent:
            result.moved.append(Moved(org, r, old_parent or "", r.parent))
    in_file = {r.code for r in result.rows}
    result.missing = [
        o for o in existing.values() if o.depth > 1 and o.is_active and o.code not in in_file
    ]


FIELDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("name", "组织名称", str),
    ("short_name", "简称", str),
    ("kind", "组织类别", lambda v: Kind(v).label),
    ("sector", "类型", lambda v: Sector(v).label),
    ("member_count", "党员人数", str),
    ("founded_on", "成立日期", _date),
    ("is_demo_point", "党建示范点", _yes),
    ("term_ends_on", "届满日期", _date),
    ("is_active", "状态", lambda v: ACTIVE if v else INACTIVE),
]


def _field_changes(org: Organization, r: OrgRow) -> list[Change]:
    return [
        Change(label, show(getattr(org, name)), show(getattr(r, name)))
        for name, label, show in FIELDS
        if getattr(org, name) != getattr(r, name)
    ]


def prepare(data: bytes, filename: str, *, zone: Zone, year: int) -> Plan:
    """The plan of importing the file into `zone` (tiers for `year`). Raises
    xlsx.FileRefused when the file cannot be read as a registry, Refused naming every bad
    cell in sheet order when any is bad."""
    org_rows, unit_rows, problems = read(data, filename)
    result, more = plan(zone=zone, year=year, org_rows=org_rows, unit_rows=unit_rows)
    problems += more
    if problems:
        sheets = [ORG_SHEET, UNIT_SHEET]
        problems.sort(key=lambda p: (sheets.index(p.sheet), p.row or 0, len(p.column), p.column))
        raise Refused(problems)
    return result


# Applying a plan.


@dataclass
class Opened:
    """A secretary account opened by the import, with its one-time password (in clear only
    here, for the slips)."""

    organization: Organization
    user: User
    password: str


@dataclass
class Applied:
    created: int
    changed: int
    moved: int
    deactivated: int
    opened: list[Opened]


TREE_FIELDS = ["path", "depth", "numchild"]
ROW_FIELDS = [name for name, _, _ in FIELDS]


def _place(plan: Plan) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
    """Every organization's (path, depth) and child count in the tree after the import.

    Paths are treebeard's: an organization that keeps its parent keeps its own last step (so
    nothing outside the moved branches changes), a new or moved one takes the next step after
    every current child of its new parent, so no path it takes is in use."""
    step = Organization.steplen
    existing = plan.existing
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, parent in plan.parents.items():
        children[parent].append(code)
    next_step: dict[str, int] = defaultdict(lambda: 1)
    for code, parent in plan.current_parents.items():
        if parent is not None:
            last = Organization._str2int(existing[code].path[-step:])
            next_step[parent] = max(next_step[parent], last + 1)
    placed: dict[str, tuple[str, int]] = {}
    queue = []
    for code in children[None]:
        placed[code] = (existing[code].path, existing[code].depth)
        queue.append(code)
    while queue:
        parent = queue.pop()
        path, depth = placed[parent]
        for code in children[parent]:
            if code in existing and plan.current_parents[code] == parent:
                placed[code] = (path + existing[code].path[-step:], depth + 1)
            else:
                placed[code] = (
                    Organization._get_path(path, depth + 1, next_step[parent]),
                    depth + 1,
                )
                next_step[parent] += 1
            queue.append(code)
    return placed, {code: len(children[code]) for code in placed}


@transaction.atomic
def apply(*, plan: Plan, by: User | None, source: str, deactivate: Collection[int] = ()) -> Applied:
    """Make `plan` in one transaction: organizations created and placed in the tree, changed,
    moved; their covered units; initial tiers (and tiers changed in the file); secretaries'
    accounts opened or linked; and the missing organizations whose pk is in `deactivate`
    deactivated (never deleted). `source` (the file's name) is the reason kept with the
    tiers."""
    zone, existing, now = plan.zone, plan.existing, timezone.now()
    placed, counts = _place(plan)
    rows = {r.code: r for r in plan.rows}
    updated = []
    for code, org in existing.items():
        path, depth = placed[code]
        dirty = (org.path, org.depth, org.numchild) != (path, depth, counts[code])
        row = rows.get(code)
        if row is not None:
            for name in ROW_FIELDS:
                if getattr(org, name) != getattr(row, name):
                    setattr(org, name, getattr(row, name))
                    dirty = True
        if dirty:
            org.path, org.depth, org.numchild, org.updated_at = path, depth, counts[code], now
            updated.append(org)
    Organization.objects.bulk_update(
        updated, [*TREE_FIELDS, *ROW_FIELDS, "updated_at"], batch_size=500
    )
    new = [
        Organization(
            zone=zone,
            code=r.code,
            path=placed[r.code][0],
            depth=placed[r.code][1],
            numchild=counts[r.code],
            **{name: getattr(r, name) for name in ROW_FIELDS},
        )
        for r in plan.created
    ]
    Organization.objects.bulk_create(new, batch_size=500)
    orgs = {**existing, **{o.code: o for o in new}}

    missing = {o.pk for o in plan.missing}
    deactivated = Organization.objects.filter(pk__in=set(deactivate) & missing).update(
        is_active=False, updated_at=now
    )

    replaced = [orgs[code].pk for code in plan.unit_changes]
    CoveredUnit.objects.filter(organization__in=replaced).delete()
    CoveredUnit.objects.bulk_create(
        (
            CoveredUnit(
                organization=orgs[u.organization],
                name=u.name,
                credit_code=u.credit_code,
                kind=u.kind,
                employee_count=u.employee_count,
            )
            for code in [*plan.unit_changes, *(r.code for r in plan.created)]
            for u in plan.units.get(code, [])
        ),
        batch_size=1000,
    )

    tiers = [
        TierAssignment(
            organization=orgs[r.code],
            zone=zone,
            year=plan.year,
            tier=r.tier,
            source=TierSource.INITIAL,
            reason=f"名册导入初始分类：{source}",
            set_by=by,
            set_at=now,
        )
        for r in plan.created
        if r.tier
    ]
    tiers += [
        TierAssignment(
            organization=orgs[code],
            zone=zone,
            year=plan.year,
            tier=rows[code].tier,
            source=TierSource.MANUAL,
            reason=f"名册导入：{source}",
            set_by=by,
            set_at=now,
        )
        for code in plan.tier_changes
    ]
    TierAssignment.objects.bulk_create(tiers, batch_size=1000)

    openings = [
        (orgs[r.code], r.secretary_name, r.phone)
        for r in plan.rows
        if r.phone and (r.code in plan.secretary_changes or r.code not in existing)
    ]
    accounts = open_secretary_accounts(openings=openings, by=by)
    opened = [
        Opened(org, user, password)
        for (org, _, _), (user, password) in zip(openings, accounts, strict=True)
        if password is not None
    ]
    return Applied(
        created=len(new),
        changed=len(plan.changed),
        moved=len(plan.moved),
        deactivated=deactivated,
        opened=opened,
    )
