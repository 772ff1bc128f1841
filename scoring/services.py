"""The writes that touch many rows. Each is one keyword-only function in one transaction."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from orgs.models import Organization, TierAssignment, TierSource

from . import catalogue, rules
from .models import (
    AnnualResult,
    Grade,
    Item,
    MajorItem,
    Notice,
    Period,
    PointEntry,
    Rectification,
    RuleSet,
    Scorecard,
    Status,
    Warning,
    YearState,
)
from .standings import annual_totals, grade_rows, level_at, quarter_standings, thresholds_by_year

RULE_SET_FIELDS = [
    "point_step",
    "warning_threshold",
    "orange_threshold",
    "red_threshold",
    "first_grade_min",
    "second_grade_min",
    "close_day",
    "yellow_days",
    "orange_days",
    "red_days",
    "coefficient_first",
    "coefficient_second",
    "coefficient_third",
    "subsidy_first",
    "subsidy_second",
    "subsidy_third",
]


class Refused(Exception):
    """An operation that cannot be done now; the message says why, in Chinese."""


def rule_set_name(year):
    return f"{year}年度基层党组织积分制管理评分细则"


@transaction.atomic
def create_rule_set(*, year, user, copy_from=None):
    """Create `year`'s rule set: the default catalogue, or a copy of `copy_from` (a RuleSet)."""
    rule_set = RuleSet(year=year, name=rule_set_name(year))
    if copy_from is not None:
        for name in RULE_SET_FIELDS:
            setattr(rule_set, name, getattr(copy_from, name))
    rule_set._history_user = user
    rule_set._change_reason = f"复制 {copy_from.year} 年度细则" if copy_from else "按默认细则创建"
    rule_set.save()
    if copy_from is None:
        source = [
            (MajorItem(code=code, name=name, column=column), items)
            for code, name, column, items in catalogue.DEFAULT
        ]
        source = [
            (
                major,
                [
                    Item(code=c, name=n, quarterly_cap=cap, kind=kind, veto=veto, standard=std)
                    for c, n, cap, kind, veto, std in items
                ],
            )
            for major, items in source
        ]
    else:
        source = [
            (
                MajorItem(code=m.code, name=m.name, column=m.column),
                [
                    Item(
                        code=i.code,
                        name=i.name,
                        quarterly_cap=i.quarterly_cap,
                        kind=i.kind,
                        veto=i.veto,
                        standard=i.standard,
                    )
                    for i in m.items.all()
                ],
            )
            for m in copy_from.majors.prefetch_related("items")
        ]
    position = 0
    for major_position, (major, items) in enumerate(source, start=1):
        major.rule_set = rule_set
        major.position = major_position
        major.save()
        for item in items:
            position += 1
            item.rule_set, item.major, item.position = rule_set, major, position
        Item.objects.bulk_create(items)
    refresh_levels(years={year, year + 1})
    return rule_set


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
    def key(self):
        return (self.organization_id, self.item_id, self.month)


@dataclass
class CellError:
    cell: Cell
    message: str
    current: PointEntry | None = None


@dataclass
class SaveResult:
    entries: dict = field(default_factory=dict)  # key -> PointEntry after the save
    created: int = 0
    updated: int = 0


class PointsRejected(Exception):
    """Nothing was saved; `errors` names every bad cell."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} 处错误")
        self.errors = errors


def month_is_open_problem(*, rule_set, year, month, today):
    """Why points of (year, month) cannot be changed now, or None."""
    if rule_set is None:
        return f"{year} 年度尚未建立评分细则"
    if not 1 <= month <= 12:
        return f"月份 {month} 无效"
    if (year, month) > (today.year, today.month):
        return f"{year}年{month}月尚未到来，不能提前记分"
    if YearState.objects.filter(year=year, finalized=True).exists():
        return f"{year} 年度已定级，积分已冻结；如需修改请先撤销定级并说明原因"
    if Period.objects.filter(year=year, month=month, closed=True).exists():
        return f"{year}年{month}月已关账，如需修改请先重新开放"
    return None


def reopen_reasons(year, months):
    """{month: reason} for the months that are open again after a reopen."""
    return dict(
        Period.objects.filter(year=year, month__in=months, closed=False)
        .exclude(reason="")
        .values_list("month", "reason")
    )


def record_points(*, year, cells, user, reason):
    """Set every cell or none. Raises PointsRejected naming each bad cell (with the
    organization, item and month) and saves nothing; otherwise writes the entries, their
    history (who, when, reason) and the month totals in one transaction."""
    try:
        return _record_points(year=year, cells=cells, user=user, reason=reason)
    except IntegrityError:
        # Someone created one of these cells between our read and our insert: run again so
        # that the version check reports it as a conflict.
        return _record_points(year=year, cells=cells, user=user, reason=reason)


@dataclass
class Checked:
    """What validating a batch found: the errors, and what writing it needs."""

    errors: list
    existing: dict
    values: dict
    months: list


def _check(*, year, cells, lock):
    today = timezone.localdate()
    rule_set = RuleSet.objects.filter(year=year).first()
    items = {i.pk: i for i in Item.objects.filter(rule_set=rule_set)} if rule_set else {}
    org_ids = {c.organization_id for c in cells}
    orgs = {o.pk: o for o in Organization.objects.scored().filter(pk__in=org_ids)}
    months = sorted({c.month for c in cells})
    month_problems = {
        m: month_is_open_problem(rule_set=rule_set, year=year, month=m, today=today) for m in months
    }
    entries = PointEntry.objects.select_related("updated_by")
    if lock:
        entries = entries.select_for_update(of=("self",))
    existing = {
        (e.organization_id, e.item_id, e.month): e
        for e in entries.filter(organization_id__in=org_ids, year=year, month__in=months)
    }
    quarters = {rules.quarter_of(m) for m in months}
    usage = {}
    for quarter in quarters:
        for org_id, item_id, month, points in PointEntry.objects.quarter_usage(
            org_ids, year, quarter
        ):
            usage[(org_id, item_id, month)] = points
    batch = {}
    values = {}
    errors = []
    for cell in cells:
        if cell.key in batch:
            errors.append(CellError(cell, _where(cell, orgs, items) + "同一单元格出现了两次"))
        batch[cell.key] = cell
    for cell in cells:
        org, item = orgs.get(cell.organization_id), items.get(cell.item_id)
        where = _where(cell, orgs, items)
        if org is None:
            errors.append(CellError(cell, where + "不是在用的计分党组织"))
            continue
        if month_problems[cell.month]:
            errors.append(CellError(cell, where + month_problems[cell.month]))
            continue
        if item is None:
            errors.append(CellError(cell, where + f"不是 {year} 年度评分细则中的小项"))
            continue
        current = existing.get(cell.key)
        current_version = current.version if current else 0
        if cell.version is not None and cell.version != current_version:
            shown = _fmt(current.points) if current and current.points is not None else "空"
            by = current.updated_by.display_name if current and current.updated_by else "他人"
            errors.append(
                CellError(
                    cell,
                    where + f"已被{by}修改为 {shown}，您的输入未保存；请核对后重新输入",
                    current,
                )
            )
            continue
        try:
            value = values[cell.key] = rules.parse_points(cell.value)
        except rules.PointsError as error:
            errors.append(CellError(cell, where + str(error)))
            continue
        note_limit = PointEntry._meta.get_field("note").max_length
        if cell.note is not None and len(cell.note) > note_limit:
            errors.append(
                CellError(
                    cell,
                    where + f"说明最多 {note_limit} 字，现有 {len(cell.note)} 字，请删减后再保存",
                )
            )
            continue
        if value is None:
            continue
        used = Decimal(0)
        for month in rules.months_of(rules.quarter_of(cell.month)):
            if month == cell.month:
                continue
            key = (cell.organization_id, cell.item_id, month)
            other_value = _parsed_or_none(batch[key].value) if key in batch else usage.get(key)
            used += other_value or 0
        problem = rules.points_problem(
            value, kind=item.kind, cap=item.quarterly_cap, step=rule_set.point_step, used=used
        )
        if problem:
            errors.append(CellError(cell, where + problem))
    return Checked(errors=errors, existing=existing, values=values, months=months)


def check_points(*, year, cells):
    """The errors `record_points` would raise for `cells`, without saving anything."""
    return _check(year=year, cells=cells, lock=False).errors


@transaction.atomic
def _record_points(*, year, cells, user, reason):
    checked = _check(year=year, cells=cells, lock=True)
    if checked.errors:
        raise PointsRejected(checked.errors)
    existing, values, months = checked.existing, checked.values, checked.months

    now = timezone.now()
    reopened = reopen_reasons(year, months)
    to_create, to_update = [], []
    for cell in cells:
        current = existing.get(cell.key)
        note = cell.note if cell.note is not None else (current.note if current else "")
        value = values.get(cell.key)
        if current is None:
            if value is None and not note:
                continue
            to_create.append(
                PointEntry(
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
            )
            _explain(to_create[-1], reopened, reason)
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
    refresh_scorecards(org_ids=touched, years=[year])
    result = SaveResult(created=len(to_create), updated=len(to_update))
    result.entries = {**existing, **{(e.organization_id, e.item_id, e.month): e for e in to_create}}
    return result


def _explain(entry, reopened, reason):
    """Changes to a reopened month also carry the reason it was reopened."""
    if entry.month in reopened:
        entry._change_reason = f"{reason}（重新开放后修改：{reopened[entry.month]}）"


SCORECARD_SUMS = [
    "q1",
    "q2",
    "q3",
    "q4",
    "e1",
    "e2",
    "e3",
    "e4",
    "bonus",
    "deduction",
    "total",
    "vetoes",
]
SCORECARD_FIELDS = [*SCORECARD_SUMS, "updated_at"]
LEVELS = ["l1", "l2", "l3", "l4"]


def refresh_scorecards(*, org_ids, years):
    """Recompute the Scorecards of `org_ids` × `years` from the raw rows, then the warning
    levels they and the following year's first quarters depend on. Call inside the
    transaction that changed those rows."""
    if not org_ids:
        return
    now = timezone.now()
    sums = {
        (row["organization_id"], row["year"]): row
        for row in PointEntry.objects.scorecard_sums(org_ids, years)
    }
    Scorecard.objects.bulk_create(
        [
            Scorecard(
                organization_id=org_id,
                year=year,
                **{name: sums.get((org_id, year), {}).get(name, 0) for name in SCORECARD_SUMS},
                updated_at=now,
            )
            for org_id in org_ids
            for year in years
        ],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["year", "organization"],
        update_fields=SCORECARD_FIELDS,
    )
    refresh_levels(years={y for year in years for y in (year, year + 1)}, org_ids=org_ids)


def refresh_levels(*, years, org_ids=None):
    """Recompute l1–l4 of the scorecards of `years` (of `org_ids`, or of everyone) from the
    stored totals with rules.warning_level; the first quarters look back to the year before."""
    cards = Scorecard.objects.filter(year__in={y for year in years for y in (year - 1, year)})
    if org_ids is not None:
        cards = cards.filter(organization_id__in=org_ids)
    rows = list(cards.values_list("pk", "organization_id", "year", "q1", "q2", "q3", "q4", *LEVELS))
    totals = {}
    for _, org, year, *figures in rows:
        for number, total in enumerate(figures[:4], start=1):
            totals[(org, year, number)] = total
    thresholds = thresholds_by_year({y for year in years for y in (year - 2, year - 1, year)})
    changed = defaultdict(list)
    for pk, org, year, *rest in rows:
        if year not in years:
            continue
        levels = tuple(
            level_at((year, n), lambda p, org=org: totals.get((org, *p), 0), thresholds)
            for n in range(1, 5)
        )
        if list(levels) != rest[4:]:
            changed[levels].append(pk)
    # One UPDATE per combination of levels (at most 4⁴) instead of one per row.
    for levels, pks in changed.items():
        for start in range(0, len(pks), 5000):
            Scorecard.objects.filter(pk__in=pks[start : start + 5000]).update(
                **dict(zip(LEVELS, levels, strict=True)), updated_at=timezone.now()
            )


def _parsed_or_none(value):
    """Another cell's value of the batch, for cap arithmetic; a bad one is reported on its own."""
    try:
        return rules.parse_points(value)
    except rules.PointsError:
        return None


def _fmt(value):
    return f"{value:.1f}"


def _where(cell, orgs, items):
    org = orgs.get(cell.organization_id)
    item = items.get(cell.item_id)
    org_label = org.label if org else f"组织#{cell.organization_id}"
    item_label = item.label if item else f"小项#{cell.item_id}"
    return f"{org_label} · {item_label} · {cell.month}月："


def _locked_or_new(model, **key):
    """The row with `key`, locked for this transaction, or a new unsaved one (whose first save
    is then its first history record)."""
    return model.objects.select_for_update().filter(**key).first() or model(**key)


def _save_step(obj, user, reason):
    """Save a change of state with who, when and why in its history."""
    obj.changed_by, obj.changed_at = user, timezone.now()
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
    return obj


@transaction.atomic
def close_month(*, year, month, user):
    today = timezone.localdate()
    if (year, month) >= (today.year, today.month):
        raise Refused(f"{year}年{month}月尚未结束，不能关账")
    period = _locked_or_new(Period, year=year, month=month)
    if period.closed:
        return period
    period.closed, period.reason = True, ""
    return _save_step(period, user, "关账")


@transaction.atomic
def reopen_month(*, year, month, user, reason):
    reason = (reason or "").strip()
    if not reason:
        raise Refused("重新开放必须填写原因")
    if YearState.objects.filter(year=year, finalized=True).exists():
        raise Refused(f"{year} 年度已定级，请先撤销定级再重新开放月份")
    # A published quarter's month may be corrected too: its notice and warnings were frozen
    # as published and do not follow later edits.
    period = _locked_or_new(Period, year=year, month=month)
    period.closed, period.reason = False, reason
    return _save_step(period, user, f"重新开放：{reason}")


def quarter_end(year, quarter):
    last_month = quarter * 3
    first_of_next = (
        datetime.date(year + 1, 1, 1)
        if last_month == 12
        else datetime.date(year, last_month + 1, 1)
    )
    return first_of_next - datetime.timedelta(days=1)


def next_notice_number(number_year):
    latest = Notice.objects.filter(number_year=number_year).order_by("-number").first()
    return latest.number + 1 if latest else 1


def publish_notice(*, year, quarter, number, published_on, title, text, user):
    """Publish a quarter's warnings: close its months, freeze every warned organization as a
    Warning and open a rectification task for each, with the rule set's deadline."""
    try:
        return _publish_notice(
            year=year,
            quarter=quarter,
            number=number,
            published_on=published_on,
            title=title,
            text=text,
            user=user,
        )
    except IntegrityError:
        raise Refused(
            f"{year}年第{quarter}季度的通报或文号 〔{published_on.year}〕第{number}号 已被使用"
        ) from None


@transaction.atomic
def _publish_notice(*, year, quarter, number, published_on, title, text, user):
    rule_set = RuleSet.objects.filter(year=year).first()
    if rule_set is None:
        raise Refused(f"{year} 年度尚未建立评分细则")
    if not 1 <= quarter <= 4:
        raise Refused(f"季度 {quarter} 无效")
    if Notice.objects.filter(year=year, quarter=quarter).exists():
        raise Refused(f"{year}年第{quarter}季度的预警通报已经发布")
    if timezone.localdate() <= quarter_end(year, quarter):
        raise Refused(f"{year}年第{quarter}季度尚未结束，不能发布通报")
    if published_on <= quarter_end(year, quarter):
        # Deadlines count from this date; one inside the quarter would start tasks overdue.
        last_day = quarter_end(year, quarter)
        raise Refused(
            f"发布日期应晚于季度最后一天（{last_day.year}年{last_day.month}月{last_day.day}日）"
        )
    for month in rules.months_of(quarter):
        close_month(year=year, month=month, user=user)
    standings = quarter_standings(Organization.objects.scored(), year, quarter)
    notice = Notice.objects.create(
        year=year,
        quarter=quarter,
        number_year=published_on.year,
        number=number,
        title=title,
        text=text,
        published_on=published_on,
        published_by=user,
        scored_count=len(standings),
    )
    warnings = Warning.objects.bulk_create(
        Warning(
            notice=notice,
            organization_id=s.organization_id,
            level=s.level,
            total=s.total,
            previous_total=s.previous_total,
            before_previous_total=s.before_previous_total,
            had_entries=s.entries > 0,
        )
        for s in standings.values()
        if s.warned
    )
    now = timezone.now()
    bulk_create_with_history(
        [
            Rectification(
                warning=w,
                deadline=published_on
                + datetime.timedelta(days=rule_set.rectification_days(w.level)),
                changed_by=user,
                changed_at=now,
            )
            for w in warnings
        ],
        Rectification,
        batch_size=500,
        default_user=user,
        default_change_reason=f"通报 {notice.label} 发布，开始整改",
    )
    return notice


def _locked(rectification):
    return Rectification.objects.select_for_update().get(pk=rectification.pk)


@transaction.atomic
def submit_rectification(*, rectification, user, report, attachment=None):
    task = _locked(rectification)
    if task.status not in (Status.OPEN, Status.RETURNED):
        raise Refused(f"该整改当前为“{task.get_status_display()}”，不能再次提交")
    report = (report or "").strip()
    if not report:
        raise Refused("请填写整改措施和成效")
    task.report = report
    if attachment is not None:
        task.attachment.save(attachment.name, attachment, save=False)
        task.attachment_name = attachment.name[:200]
        task.attachment_type = attachment.content_type
    task.status = Status.SUBMITTED
    task.submitted_at = timezone.now()
    return _save_step(
        task, user, "提交整改报告" if rectification.status == Status.OPEN else "重新提交整改报告"
    )


@transaction.atomic
def review_rectification(*, rectification, user, accept, comment=""):
    task = _locked(rectification)
    if task.status != Status.SUBMITTED:
        raise Refused(f"该整改当前为“{task.get_status_display()}”，只有待审核的整改可以销号或退回")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise Refused("退回整改必须填写意见")
    task.status = Status.ACCEPTED if accept else Status.RETURNED
    task.comment = comment
    return _save_step(task, user, "审核通过，销号" if accept else "退回修改")


@transaction.atomic
def finalize_year(*, year, user):
    """定级: close every month of the year and store each organization's year as it stands,
    with its grade, ranks, proposed tier and use of results."""
    rule_set = RuleSet.objects.filter(year=year).first()
    if rule_set is None:
        raise Refused(f"{year} 年度尚未建立评分细则")
    if timezone.localdate().year <= year:
        raise Refused(f"{year} 年度尚未结束，不能定级")
    state = _locked_or_new(YearState, year=year)
    if state.finalized:
        raise Refused(f"{year} 年度已经定级")
    for month in range(1, 13):
        close_month(year=year, month=month, user=user)
    organizations = Organization.objects.scored()
    tiers = dict(organizations.with_tier(year).values_list("pk", "tier"))
    committees = Organization.objects.committee_names()
    prefix = Organization.steplen * 2
    rows = annual_totals(organizations, year, names=True).iterator(chunk_size=5000)
    results = (
        AnnualResult(
            organization_id=g.row["pk"],
            year=year,
            code=g.row["code"],
            name=g.row["name"],
            committee=committees.get(g.row["path"][:prefix], ""),
            sector=g.row["sector"],
            tier=tiers.get(g.row["pk"]) or "",
            **{f: g.row[f] for f in ("q1", "q2", "q3", "q4", "bonus", "deduction", "total")},
            rank=g.row["rank"],
            sector_rank=g.row["sector_rank"],
            warnings=g.warnings,
            vetoed=g.vetoed,
            grade=g.grade,
            proposed_tier=g.proposed_tier,
            coefficient=g.coefficient,
            subsidy=g.subsidy,
            note=g.note,
        )
        for g in grade_rows(rows, rule_set)
    )
    while batch := list(islice(results, 2000)):
        AnnualResult.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        # Fresh statistics let the grade sheet walk the new rows in rank order at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scoring_annualresult")
    state.finalized, state.tiers_confirmed = True, False
    return _save_step(state, user, "年度定级")


@transaction.atomic
def reopen_year(*, year, user, reason):
    """Undo 定级 so that the year's points can be corrected; the results, overrides included,
    are discarded and computed afresh at the next finalization. Not once tiers are confirmed."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("撤销定级必须填写原因")
    state = _locked_or_new(YearState, year=year)
    if not state.finalized:
        raise Refused(f"{year} 年度尚未定级")
    if state.tiers_confirmed:
        # Next year runs on the confirmed tiers; regrading would stack a second set of them.
        raise Refused(
            f"{year + 1} 年度分类已按本次定级确认，不能再撤销定级；"
            "如需调整个别组织的分类，请在组织页面调整并填写原因"
        )
    AnnualResult.objects.filter(year=year).delete()
    state.finalized, state.tiers_confirmed = False, False
    return _save_step(state, user, f"撤销定级：{reason}")


@transaction.atomic
def override_tier(*, result, tier, reason, user):
    """Set (or clear, with tier "") the tier an organization gets next year instead of the
    proposal; a change needs a reason."""
    state = _locked_or_new(YearState, year=result.year)
    if state.tiers_confirmed:
        raise Refused(f"{result.year} 年度的下年分类已确认，请在组织页面单独调整分类")
    reason = (reason or "").strip()
    if tier and tier != result.proposed_tier and not reason:
        raise Refused("调整建议类别必须填写原因")
    locked = AnnualResult.objects.select_for_update().get(pk=result.pk)
    if tier == locked.proposed_tier or not tier:
        locked.override_tier, locked.override_reason, locked.override_by = "", "", None
    else:
        locked.override_tier, locked.override_reason, locked.override_by = tier, reason, user
    locked.save(update_fields=["override_tier", "override_reason", "override_by"])
    return locked


@transaction.atomic
def confirm_tiers(*, year, user):
    """Make every finalized result's next tier (proposal or override) next year's tier, except
    where next year's tier was already set by hand on the organization's page: that decision
    stands. Returns how many organizations kept such a tier."""
    state = _locked_or_new(YearState, year=year)
    if not state.finalized:
        raise Refused(f"{year} 年度尚未定级，不能确认下年分类")
    if state.tiers_confirmed:
        raise Refused(f"{year} 年度的下年分类已经确认")
    already_set = TierAssignment.objects.filter(year=year + 1).values("organization_id")
    kept = AnnualResult.objects.filter(year=year, organization_id__in=already_set).count()
    now = timezone.now()
    grades = dict(Grade.choices)
    TierAssignment.objects.bulk_create(
        (
            TierAssignment(
                organization_id=r.organization_id,
                year=year + 1,
                tier=r.next_tier,
                source=TierSource.GRADING,
                reason=(
                    f"{year}年度定级为{grades[r.grade]}，建议{r.proposed_tier}类，调整为{r.override_tier}类：{r.override_reason}"
                    if r.override_tier
                    else f"{year}年度定级为{grades[r.grade]}，确认为{r.proposed_tier}类"
                ),
                set_by=user,
                set_at=now,
            )
            for r in AnnualResult.objects.filter(year=year)
            .exclude(organization_id__in=already_set)
            .iterator(chunk_size=5000)
        ),
        batch_size=2000,
    )
    state.tiers_confirmed = True
    _save_step(state, user, f"确认{year + 1}年度分类")
    return kept
