"""Recording points: every cell of a batch is checked against the rules (open month, the rule
set's items, the version the user saw, the value, the quarterly cap), then all are saved with
their history and the scorecards, or none is."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from orgs.models import Organization, Zone

from .. import rules
from ..models import Item, Period, PointEntry, RuleSet, YearState
from .scorecards import refresh_scorecards

Key = tuple[int, int, int]  # (organization, item, month)


@dataclass(frozen=True)
class Cell:
    """One cell a user wants to set. `version` is the version the user saw (0 when the cell
    was empty); None skips the conflict check (an import confirmed after its preview).
    `note` None leaves the note as it is."""

    organization_id: int
    item_id: int
    month: int
    value: object  # as typed or read from a file; parsed by rules.parse_points
    version: int | None = None
    note: str | None = None

    @property
    def key(self) -> Key:
        return (self.organization_id, self.item_id, self.month)


@dataclass
class CellError:
    """Why a cell was refused: `where` names it (organization · item · month), `why` says
    what is wrong; `current` is the entry as stored when someone else changed it first."""

    cell: Cell
    where: str
    why: str
    current: PointEntry | None = None

    @property
    def message(self) -> str:
        return f"{self.where}：{self.why}"


@dataclass
class SaveResult:
    entries: dict[Key, PointEntry] = field(default_factory=dict)  # after the save
    created: int = 0
    updated: int = 0


class PointsRejected(Exception):
    """Nothing was saved; `errors` names every bad cell."""

    def __init__(self, errors: list[CellError]):
        super().__init__(f"{len(errors)} 处错误")
        self.errors = errors


def month_is_open_problem(
    *, zone: Zone, rule_set: RuleSet | None, year: int, month: int, today: date
) -> str | None:
    """Why the zone's points of (year, month) cannot be changed now, or None."""
    if rule_set is None:
        return f"{year} 年度尚未建立评分细则"
    if not 1 <= month <= 12:
        return f"月份 {month} 无效"
    if (year, month) > (today.year, today.month):
        return f"{year}年{month}月尚未到来，不能提前记分"
    if YearState.objects.filter(zone=zone, year=year, finalized=True).exists():
        return f"{year} 年度已定级，积分已冻结；如需修改请先撤销定级并说明原因"
    if Period.objects.filter(zone=zone, year=year, month=month, closed=True).exists():
        return f"{year}年{month}月已关账，如需修改请先重新开放"
    return None


def reopen_reasons(zone: Zone, year: int, months: list[int]) -> dict[int, str]:
    """{month: reason} for the zone's months that are open again after a reopen."""
    return dict(
        Period.objects.filter(zone=zone, year=year, month__in=months, closed=False)
        .exclude(reason="")
        .values_list("month", "reason")
    )


ByMonth = dict[tuple[int, int], dict[int, Decimal | None]]


def quarter_values(*, org_ids: Collection[int], year: int, months: Iterable[int]) -> ByMonth:
    """{(organization, item): {month: points}} recorded in the quarters of `months`."""
    by_month: ByMonth = {}
    for quarter in {rules.quarter_of(m) for m in months}:
        for org_id, item_id, month, points in PointEntry.objects.quarter_usage(
            org_ids, year, quarter
        ):
            by_month.setdefault((org_id, item_id), {})[month] = points
    return by_month


@dataclass(frozen=True)
class Room:
    """What an item's quarter leaves a month: `used` by the other months, `left` to record."""

    used: Decimal
    left: Decimal


def rooms(
    *, org_ids: Collection[int], year: int, items: Iterable[Item], months: Iterable[int]
) -> dict[Key, Room]:
    """The Room of every (organization, item, month) asked for, as stored now: what the grid
    shows in each cell and the formula bar, so that nobody types a value only to have it
    refused, and the browser never recomputes the rule."""
    months = list(months)
    by_month = quarter_values(org_ids=org_ids, year=year, months=months)
    result = {}
    for item in items:
        for org_id in org_ids:
            values = by_month.get((org_id, item.pk), {})
            for month in months:
                used = rules.used_elsewhere(values, month)
                left = rules.room(kind=item.kind, cap=item.quarterly_cap, used=used)
                result[(org_id, item.pk, month)] = Room(used=used, left=left)
    return result


@dataclass
class Checked:
    """What validating a batch found: the errors, and what writing it needs."""

    errors: list[CellError]
    existing: dict[Key, PointEntry]
    values: dict[Key, Decimal | None]
    months: list[int]


def _check(*, zone: Zone, year: int, cells: list[Cell], lock: bool) -> Checked:
    today = timezone.localdate()
    rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
    items = {i.pk: i for i in Item.objects.filter(rule_set=rule_set)} if rule_set else {}
    org_ids = {c.organization_id for c in cells}
    orgs = {o.pk: o for o in Organization.objects.in_zone(zone).scored().filter(pk__in=org_ids)}
    months = sorted({c.month for c in cells})
    month_problems = {
        m: month_is_open_problem(zone=zone, rule_set=rule_set, year=year, month=m, today=today)
        for m in months
    }
    entries = PointEntry.objects.select_related("updated_by")
    if lock:
        entries = entries.select_for_update(of=("self",))
    existing = {
        (e.organization_id, e.item_id, e.month): e
        for e in entries.filter(organization_id__in=org_ids, year=year, month__in=months)
    }
    # The quarters touched as stored, then the batch's own values over them: caps hold for
    # the quarter as it will be.
    by_month = quarter_values(org_ids=org_ids, year=year, months=months)
    seen: set[Key] = set()
    errors: list[CellError] = []

    def where(cell: Cell) -> str:
        org, item = orgs.get(cell.organization_id), items.get(cell.item_id)
        org_label = org.label if org else f"组织#{cell.organization_id}"
        item_label = item.label if item else f"小项#{cell.item_id}"
        return f"{org_label} · {item_label} · {cell.month}月"

    for cell in cells:
        if cell.key in seen:
            errors.append(CellError(cell, where(cell), "同一单元格出现了两次"))
        seen.add(cell.key)
        by_month.setdefault((cell.organization_id, cell.item_id), {})[cell.month] = _parsed_or_none(
            cell.value
        )
    values: dict[Key, Decimal | None] = {}
    note_limit = PointEntry._meta.get_field("note").max_length or 0
    for cell in cells:
        org, item = orgs.get(cell.organization_id), items.get(cell.item_id)
        if org is None:
            errors.append(CellError(cell, where(cell), "不是在用的计分党组织"))
            continue
        month_problem = month_problems[cell.month]
        if month_problem:
            errors.append(CellError(cell, where(cell), month_problem))
            continue
        if item is None or rule_set is None:
            errors.append(CellError(cell, where(cell), f"不是 {year} 年度评分细则中的小项"))
            continue
        current = existing.get(cell.key)
        current_version = current.version if current else 0
        if cell.version is not None and cell.version != current_version:
            shown = rules.format_points(current.points) if current else ""
            by = current.updated_by.display_name if current and current.updated_by else "他人"
            errors.append(
                CellError(
                    cell,
                    where(cell),
                    f"已被{by}修改为 {shown or '空'}，您的输入未保存；请核对后重新输入",
                    current,
                )
            )
            continue
        try:
            value = values[cell.key] = rules.parse_points(cell.value)
        except rules.PointsError as error:
            errors.append(CellError(cell, where(cell), str(error)))
            continue
        if cell.note is not None and len(cell.note) > note_limit:
            errors.append(
                CellError(
                    cell,
                    where(cell),
                    f"说明最多 {note_limit} 字，现有 {len(cell.note)} 字，请删减后再保存",
                )
            )
            continue
        if value is None:
            continue
        used = rules.used_elsewhere(by_month[(cell.organization_id, cell.item_id)], cell.month)
        problem = rules.points_problem(
            value, kind=item.kind, cap=item.quarterly_cap, step=rule_set.point_step, used=used
        )
        if problem:
            errors.append(CellError(cell, where(cell), problem))
    return Checked(errors=errors, existing=existing, values=values, months=months)


def _parsed_or_none(value: object) -> Decimal | None:
    """Another cell's value of the batch, for cap arithmetic; a bad one is reported on its own."""
    try:
        return rules.parse_points(value)
    except rules.PointsError:
        return None


def check_points(*, zone: Zone, year: int, cells: list[Cell]) -> list[CellError]:
    """The errors `record_points` would raise for `cells`, without saving anything."""
    return _check(zone=zone, year=year, cells=cells, lock=False).errors


def record_points(
    *, zone: Zone, year: int, cells: list[Cell], user: Any, reason: str
) -> SaveResult:
    """Set every cell (of the zone's organizations, against its rule set of `year`) or none.
    Raises PointsRejected naming each bad cell (with the organization, item and month) and
    saves nothing; otherwise writes the entries, their history (who, when, reason) and the
    scorecards in one transaction."""
    try:
        return _record_points(zone=zone, year=year, cells=cells, user=user, reason=reason)
    except IntegrityError:
        # Someone created one of these cells between our read and our insert: run again so
        # that the version check reports it as a conflict.
        return _record_points(zone=zone, year=year, cells=cells, user=user, reason=reason)


@transaction.atomic
def _record_points(
    *, zone: Zone, year: int, cells: list[Cell], user: Any, reason: str
) -> SaveResult:
    checked = _check(zone=zone, year=year, cells=cells, lock=True)
    if checked.errors:
        raise PointsRejected(checked.errors)
    existing, values, months = checked.existing, checked.values, checked.months

    now = timezone.now()
    reopened = reopen_reasons(zone, year, months)
    to_create, to_update = [], []
    for cell in cells:
        current = existing.get(cell.key)
        note = cell.note if cell.note is not None else (current.note if current else "")
        value = values.get(cell.key)
        if current is None:
            if value is None and not note:
                continue
            entry = PointEntry(
                organization_id=cell.organization_id,
                item_id=cell.item_id,
                year=year,
                month=cell.month,
                points=value,
                note=note,
                updated_by=user,
                updated_at=now,
                version=1,
            )
            _explain(entry, reopened, reason)
            to_create.append(entry)
        elif current.points != value or current.note != note:
            current.points, current.note = value, note
            current.updated_by, current.updated_at = user, now
            current.version += 1
            _explain(current, reopened, reason)
            to_update.append(current)
    history = {"default_user": user, "default_change_reason": reason, "default_date": now}
    if to_create:
        bulk_create_with_history(to_create, PointEntry, batch_size=500, **history)
    if to_update:
        bulk_update_with_history(
            to_update,
            PointEntry,
            ["points", "note", "updated_by", "updated_at", "version"],
            batch_size=500,
            **history,
        )
    touched = {e.organization_id for e in (*to_create, *to_update)}
    refresh_scorecards(zone=zone, org_ids=touched, years=[year])
    result = SaveResult(created=len(to_create), updated=len(to_update))
    result.entries = {**existing, **{(e.organization_id, e.item_id, e.month): e for e in to_create}}
    return result


def _explain(entry: PointEntry, reopened: dict[int, str], reason: str) -> None:
    """Changes to a reopened month also carry the reason it was reopened."""
    if entry.month in reopened:
        entry._change_reason = f"{reason}（重新开放后修改：{reopened[entry.month]}）"  # type: ignore[attr-defined]
