"""The month grid, the organization's record sheet, saving cells, closing months."""

import datetime
import json
from collections.abc import Callable
from io import BytesIO
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from orgs import access, stamps
from orgs.forms import OrganizationFilterForm, posted
from orgs.models import Organization
from partybuild import fragments
from partybuild.inputs import unreadable

from .. import rules
from ..forms import ReasonForm
from ..models import Item, Notice, Period, PointEntry, RuleSet, Scorecard, YearState
from ..queries import with_previous_points
from ..services.periods import close_month, reopen_month
from ..services.points import Cell, PointsRejected, record_points, rooms
from ..services.steps import Refused
from ..sheets import record_sheet as record_sheet_xlsx

PAGE_SIZES = (25, 50, 100)
# A pasted block is saved whole, so a full page pasted across every item must fit in one save:
# the largest page times a generous bound on a rule set's items (every rule set is a copy of
# the default catalogue's 21). The bound keeps one request from asking for unbounded work.
MAX_ITEMS = 100
MAX_CELLS_PER_SAVE = max(PAGE_SIZES) * MAX_ITEMS
# The largest numbers every supported database compares with its key and version columns
# (64-bit keys, 32-bit versions); a bigger one overflows the query instead of matching nothing.
MAX_KEY = 2**63 - 1
MAX_VERSION = 2**31 - 1
CELL_NUMBERS = (
    ("org", "组织编号", 1, MAX_KEY),
    ("item", "小项编号", 1, MAX_KEY),
    ("month", "月份", 1, 12),
    ("version", "版本号", 0, MAX_VERSION),
)


def get_rule_set(zone, year):
    """The zone's rule set of `year` with its items, or 404."""
    try:
        return RuleSet.objects.prefetch_related("majors__items").get(zone=zone, year=year)
    except RuleSet.DoesNotExist:
        raise Http404(f"{year} 年度尚未建立评分细则。") from None


def check_month(month):
    if not 1 <= month <= 12:
        raise Http404("月份应为 1–12。")


def month_state(rule_set, year, month):
    today = timezone.localdate()
    zone = rule_set.zone_id
    period = Period.objects.filter(zone=zone, year=year, month=month).first()
    closed = bool(period and period.closed)
    deadline = rule_set.close_deadline(month)
    return {
        "closed": closed,
        "notice": Notice.objects.filter(
            zone=zone, year=year, quarter=rules.quarter_of(month)
        ).first(),
        "period": period,
        "deadline": deadline,
        "overdue": not closed and today > deadline,
        "future": (year, month) > (today.year, today.month),
        "ended": (year, month) < (today.year, today.month),
    }


def _month_tabs(rule_set, year, today):
    """(month, "future" | "closed" | "overdue" | "open") for the year's twelve tabs, so that a
    month left open past its deadline shows from any other month."""
    closed = set(
        Period.objects.filter(zone=rule_set.zone_id, year=year, closed=True).values_list(
            "month", flat=True
        )
    )
    tabs = []
    for m in range(1, 13):
        if (year, m) > (today.year, today.month):
            state = "future"
        elif m in closed:
            state = "closed"
        else:
            state = "overdue" if today > rule_set.close_deadline(m) else "open"
        tabs.append((m, state))
    return tabs


fmt = rules.format_points


def to_date_line(rule_set, year, month, today):
    """(line, provisional) that the quarter's total up to `month` is compared with: the share
    of the warning line for the quarter's months up to `month` that have ended. Provisional
    (预估) while that is not the whole quarter: then falling short is progress, not a warning."""
    quarter = rules.quarter_of(month)
    position = month - rules.months_of(quarter)[0] + 1
    counted = min(position, rules.months_ended(year, quarter, today))
    return rules.pro_rated_line(rule_set.warning_threshold, counted), counted < 3


def cell_view(entry, room, records=None):
    """What a grid cell renders: (value, version, note, room, records) of templatetags.grid;
    `records` is (count, awarded, url) of the evidence behind the cell (CELL_EVIDENCE), or None."""
    if entry is None:
        return ("", 0, "", room, records)
    return (fmt(entry.points), entry.version, entry.note, room, records)


# Evidence that apps built on scoring keep behind the grid's cells: functions of (organization
# ids, year, month) answering {(organization, item): (count, awarded, url)} in one query each,
# so that the grid's query count stays constant. The work records (records app) register one.
CELL_EVIDENCE: list[Callable[[list[int], int, int], dict]] = []


def cell_evidence(org_ids, year, month):
    found = {}
    for source in CELL_EVIDENCE:
        found.update(source(org_ids, year, month))
    return found


def majors_in_order(items):
    """[(major, number of its items)] in the order the items are shown."""
    return [(major, len(list(group))) for major, group in groupby(items, key=lambda i: i.major)]


def grid_rows(organizations, *, items, year, month, records, line):
    """The rows of the grid for `organizations`: each item's cell (cell_view) with the room
    its quarter leaves, and the month's and quarter's totals against the to-date `line`."""
    org_ids = [org.pk for org in organizations]
    quarter = rules.quarter_of(month)
    entries = {
        (e.organization_id, e.item_id): e
        for e in PointEntry.objects.filter(organization_id__in=org_ids, year=year, month=month)
    }
    room = rooms(org_ids=org_ids, year=year, items=items, months=[month])
    totals = PointEntry.objects.month_totals(org_ids, year, rules.months_of(quarter))
    rows = []
    for org in organizations:
        quarter_months = {m: totals.get((org.pk, m), 0) for m in rules.months_of(quarter)}
        to_date = sum(v for m, v in quarter_months.items() if m <= month)
        rows.append(
            {
                "org": org,
                "cells": [
                    cell_view(
                        entries.get((org.pk, item.pk)),
                        room[(org.pk, item.pk, month)],
                        records.get((org.pk, item.pk)),
                    )
                    for item in items
                ],
                "month_total": quarter_months[month],
                "quarter_months": json.dumps({m: fmt(v) for m, v in quarter_months.items()}),
                "to_date": to_date,
                "behind": to_date < line,
            }
        )
    return rows


@access.office_required
def grid_current(request):
    today = timezone.localdate()
    year, month = today.year, today.month
    rule_sets = RuleSet.objects.filter(zone=request.zone)
    if not rule_sets.filter(year=year).exists():
        latest = rule_sets.first()
        if latest is None:
            messages.info(request, "还没有评分细则，请先由管理员创建本年度评分细则。")
            return redirect("scoring:rules")
        year, month = latest.year, 12
    return redirect("scoring:grid", year, month)


@access.office_required
def grid(request, year, month):
    check_month(month)
    content = fragments.content(
        request,
        "grid",
        stamps.zone_parts(request, year, month),
        "scoring/_grid_content.html",
        lambda: grid_context(request, year, month),
    )
    return render(request, "scoring/grid.html", {"year": year, "month": month, "content": content})


def grid_context(request, year, month):
    """What the month grid shows; its figures come from grid_rows."""
    rule_set = get_rule_set(request.zone, year)
    items = rule_set.ordered_items()
    scope = Organization.objects.in_zone(request.zone).scored()
    form = OrganizationFilterForm(
        request.GET or None,
        committees=scope.committees(),
        only=("q", "sector", "tier", "committee"),
    )
    organizations = form.by_tier(form.narrow(scope), year).with_tier(year).with_committee()
    size = int(request.GET["size"]) if request.GET.get("size") in map(str, PAGE_SIZES) else 50
    page = Paginator(organizations, size).get_page(request.GET.get("page"))
    records = cell_evidence([org.pk for org in page], year, month)
    state = month_state(rule_set, year, month)
    today = timezone.localdate()
    line, provisional = to_date_line(rule_set, year, month, today)
    quarter = rules.quarter_of(month)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "rule_set": rule_set,
        "year": year,
        "month": month,
        "quarter": quarter,
        "to_date_months": ",".join(str(m) for m in rules.months_of(quarter) if m <= month),
        "line": line,
        "provisional": provisional,
        "filtered": any(form.values()[name] for name in ("q", "sector", "tier", "committee")),
        "majors": majors_in_order(items),
        "items": items,
        "rows": grid_rows(page, items=items, year=year, month=month, records=records, line=line),
        "page": page,
        "form": form,
        "query": query.urlencode(),
        "state": state,
        "editable": not state["closed"] and not state["future"],
        "months": _month_tabs(rule_set, year, today),
        "size": size,
        "sizes": PAGE_SIZES,
    }


def _bad_request(message):
    return JsonResponse({"ok": False, "message": message}, status=400)


class Malformed(Exception):
    """A save request that is not what the grid sends; the message says what, in Chinese."""


@require_POST
@access.office_required
def save_cells(request):
    """Save a batch of cells as JSON: {"year": 2025, "cells": [{"org", "item", "month",
    "value", "version", "note"?}]}; all or nothing. A value of null or "" clears the cell."""
    try:
        year, cells = _read_cells(json.loads(request.body))
    except RequestDataTooBig:
        return _bad_request("一次提交的数据过多，请分批粘贴。")
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return _bad_request("提交的数据格式不正确，请刷新页面后重试。")
    except Malformed as malformed:
        return _bad_request(str(malformed))
    try:
        result = record_points(
            zone=request.zone, year=year, cells=cells, user=request.user, reason="表格录入"
        )
    except PointsRejected as rejected:
        return JsonResponse(
            {"ok": False, "errors": [_error_json(e) for e in rejected.errors]}, status=422
        )
    saved = [result.entries[c.key] for c in cells if c.key in result.entries]
    org_ids = {c.organization_id for c in cells}
    return JsonResponse(
        {
            "ok": True,
            "cells": [_entry_json(e) for e in saved],
            "totals": _totals_json(org_ids, year, {c.month for c in cells}),
            "rooms": _rooms_json(cells, year),
        }
    )


def _read_cells(payload):
    """(year, [Cell]) from a decoded save request; Malformed names the first thing amiss."""
    if not isinstance(payload, dict):
        raise Malformed("提交的数据格式不正确，请刷新页面后重试。")
    year = _whole(payload, "year", "年度", datetime.MINYEAR, datetime.MAXYEAR)
    raw_cells = payload.get("cells")
    if not isinstance(raw_cells, list) or not raw_cells:
        raise Malformed("没有要保存的单元格。")
    if len(raw_cells) > MAX_CELLS_PER_SAVE:
        raise Malformed(f"一次最多保存 {MAX_CELLS_PER_SAVE} 个单元格，请分批粘贴。")
    cells = []
    for number, data in enumerate(raw_cells, start=1):
        where = f"第 {number} 个单元格"
        if not isinstance(data, dict):
            raise Malformed(f"{where}格式不正确，请刷新页面后重试。")
        numbers = {
            key: _whole(data, key, f"{where}的{label}", low, high)
            for key, label, low, high in CELL_NUMBERS
        }
        value, note = data.get("value"), data.get("note")
        if isinstance(value, bool) or not isinstance(value, str | int | float | None):
            raise Malformed(f"{where}的分值格式不正确，请刷新页面后重试。")
        if not isinstance(note, str | None):
            raise Malformed(f"{where}的说明格式不正确，请刷新页面后重试。")
        for label, text in (("分值", value), ("说明", note)):
            if isinstance(text, str) and (problem := unreadable(text)):
                raise Malformed(f"{where}的{label}{problem}。")
        cells.append(
            Cell(
                organization_id=numbers["org"],
                item_id=numbers["item"],
                month=numbers["month"],
                value=value,
                version=numbers["version"],
                note=note,
            )
        )
    return year, cells


def _whole(data, key, label, low, high):
    """data[key] as an int from low to high: a JSON integer or a string of digits."""
    value = data.get(key)
    if value is None:
        raise Malformed(f"缺少{label}，请刷新页面后重试。")
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            number = int(value)
        except ValueError:
            pass
        else:
            if low <= number <= high:
                return number
    shown = str(value) if len(str(value)) <= 20 else str(value)[:20] + "…"
    raise Malformed(f"{label}无效（{shown}），请刷新页面后重试。")


def _entry_json(entry):
    return {
        "org": entry.organization_id,
        "item": entry.item_id,
        "month": entry.month,
        "value": fmt(entry.points),
        "version": entry.version,
        "note": entry.note,
    }


def _error_json(error):
    cell = error.cell
    data = {"org": cell.organization_id, "item": cell.item_id, "month": cell.month}
    data["message"] = error.message
    data["current"] = _entry_json(error.current) if error.current else None
    return data


def _totals_json(org_ids, year, months):
    """{org: {month: total}} for every month of the quarters touched, and the record-sheet
    column sums of the touched months."""
    quarter_months = {m for month in months for m in rules.months_of(rules.quarter_of(month))}
    totals = {str(org): {m: "0.0" for m in quarter_months} for org in org_ids}
    for (org, month), total in PointEntry.objects.month_totals(
        org_ids, year, quarter_months
    ).items():
        totals[str(org)][month] = fmt(total)
    return totals


def _rooms_json(cells, year):
    """The Room of every month of the quarters a save touched, for the items it touched: other
    months of those quarters may be on the page too (the record sheet shows them all)."""
    org_ids = {c.organization_id for c in cells}
    items = Item.objects.filter(pk__in={c.item_id for c in cells})
    months = {m for c in cells for m in rules.months_of(rules.quarter_of(c.month))}
    touched = {(c.organization_id, c.item_id) for c in cells}
    return [
        {"org": org, "item": item, "month": month, "used": fmt(room.used), "left": fmt(room.left)}
        for (org, item, month), room in rooms(
            org_ids=org_ids, year=year, items=items, months=months
        ).items()
        if (org, item) in touched
    ]


@login_required
def record_sheet(request, pk, year):
    org = access.get_organization(request.user, pk)
    rule_set = get_rule_set(org.zone_id, year)
    groups = rule_set.record_columns()
    items = [(item, key) for key, _, members in groups for item in members]
    entries = {
        (e.month, e.item_id): e
        for e in PointEntry.objects.filter(organization=org, year=year).select_related("item")
    }
    column_sums = {}
    for row in PointEntry.objects.column_sums(org, year):
        key = row["item__major__column"] or row["item__kind"]
        column_sums[(row["month"], key)] = row["points"]
    totals = {
        month: total
        for (_, month), total in PointEntry.objects.month_totals(
            [org.pk], year, range(1, 13)
        ).items()
    }
    card = Scorecard.objects.filter(organization=org, year=year).first()
    quarter_totals = {q: card.quarter(q) for q in range(1, 5)} if card else {}
    room = rooms(
        org_ids=[org.pk], year=year, items=[item for item, _ in items], months=range(1, 13)
    )
    periods = dict(
        Period.objects.filter(zone=org.zone_id, year=year).values_list("month", "closed")
    )
    today = timezone.localdate()
    editable_user = request.user.is_office
    quarters = []
    for quarter in range(1, 5):
        months = []
        for month in rules.months_of(quarter):
            future = (year, month) > (today.year, today.month)
            months.append(
                {
                    "month": month,
                    "cells": [
                        cell_view(entries.get((month, item.pk)), room[(org.pk, item.pk, month)])
                        for item, _ in items
                    ],
                    "columns": [(key, column_sums.get((month, key))) for key, _, _ in groups],
                    "total": totals.get(month),
                    "notes": [
                        (item, entries[(month, item.pk)].note)
                        for item, _ in items
                        if (month, item.pk) in entries and entries[(month, item.pk)].note
                    ],
                    "editable": editable_user and not periods.get(month) and not future,
                    "closed": periods.get(month, False),
                }
            )
        quarter_total = quarter_totals.get(quarter, 0)
        line, provisional = to_date_line(rule_set, year, rules.months_of(quarter)[-1], today)
        quarters.append(
            {
                "quarter": quarter,
                "months": months,
                "total": quarter_total,
                "line": line,
                "provisional": provisional,
                "behind": quarter_total < line,
                "started": (year, rules.months_of(quarter)[0]) <= (today.year, today.month),
                "running": (year, rules.months_of(quarter)[-1]) >= (today.year, today.month),
            }
        )
    history = (
        with_previous_points(PointEntry.history.filter(organization_id=org.pk, year=year))
        .select_related("item", "history_user")
        .order_by("-history_date", "-history_id")
    )
    history_page = Paginator(history, 50).get_page(request.GET.get("hpage"))
    return render(
        request,
        "scoring/record_sheet.html",
        {
            "org": org,
            "year": year,
            "rule_set": rule_set,
            "groups": groups,
            "items": items,
            "quarters": quarters,
            "quarter_colspan": len(items) + len(groups),
            "month_totals": json.dumps({m: fmt(t) for m, t in totals.items()}),
            "year_total": card.total if card else 0,
            "history": history_page,
            # Without an open month there is nothing to type into: no formula bar, no script.
            "editable": any(m["editable"] for q in quarters for m in q["months"]),
            "years": RuleSet.objects.filter(zone=org.zone_id).values_list("year", flat=True),
        },
    )


@require_POST
@access.office_required
def close(request, year, month):
    check_month(month)
    get_rule_set(request.zone, year)
    try:
        close_month(zone=request.zone, year=year, month=month, user=request.user)
    except Refused as refused:
        messages.error(request, f"{refused}。")
    else:
        messages.success(request, f"{year}年{month}月已关账。")
    target = request.POST.get("next", "")
    # Only a path on this site: anything else could send the user elsewhere or fail to resolve.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("scoring:grid", year, month)


@access.office_required
def reopen(request, year, month):
    check_month(month)
    zone = request.zone
    get_rule_set(zone, year)
    if not Period.objects.filter(zone=zone, year=year, month=month, closed=True).exists():
        messages.info(request, f"{year}年{month}月没有关账，可以直接修改。")
        return redirect("scoring:grid", year, month)
    if YearState.objects.filter(zone=zone, year=year, finalized=True).exists():
        # No form that could only be refused: the year's grades rest on these points.
        messages.error(request, f"{year} 年度已定级，请先撤销定级再重新开放月份。")
        return redirect("scoring:grid", year, month)
    form = ReasonForm(
        posted(request),
        label="重新开放原因",
        help_text="例如：补录某支部漏报的活动记录。此原因会写入此后每一条修改记录。",
    )
    if request.method == "POST" and form.is_valid():
        try:
            reopen_month(
                zone=zone,
                year=year,
                month=month,
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"{year}年{month}月已重新开放，此后的修改都会记录原因。")
            return redirect("scoring:grid", year, month)
    notice = Notice.objects.filter(zone=zone, year=year, quarter=rules.quarter_of(month)).first()
    return render(
        request,
        "scoring/reopen.html",
        {"form": form, "year": year, "month": month, "notice": notice},
    )


@login_required
def record_sheet_export(request, pk, year):
    org = access.get_organization(request.user, pk)
    rule_set = get_rule_set(org.zone_id, year)
    buffer = BytesIO()
    record_sheet_xlsx.write(org, rule_set, buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=f"{org.label}{year}年积分制管理记录表.xlsx"
    )
