"""Work records: the secretary saves drafts and submits them for the month they happened in;
the office awards them into points through scoring's points service (caps, open month,
version, history naming the record) or returns them with a comment. Every step is kept with
who, when and why."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dashboard import notify
from orgs.models import Organization
from partybuild.attachments import Accepted
from scoring import rules
from scoring.models import Item, PointEntry, RuleSet, YearState
from scoring.services.points import Cell, PointsRejected, record_points, rooms
from scoring.services.steps import Refused, save_step

from .models import RecordAttachment, State, WorkRecord

MAX_ATTACHMENTS = 9
THUMBNAIL = (320, 320)


def thumbnail(data: bytes) -> bytes:
    """A small JPEG of an image accepted by partybuild.attachments (already upright)."""
    with Image.open(BytesIO(data)) as image:
        image.thumbnail(THUMBNAIL)
        out = BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue()


def recordable_items(rule_set: RuleSet) -> list[Item]:
    """The items a secretary records work against: the routine and bonus items of the rule
    set (deductions are the office's)."""
    return [item for item in rule_set.ordered_items() if not item.is_deduction]


@dataclass(frozen=True)
class Draft:
    """What the secretary typed; `claimed` is the 自评 points (None when left empty)."""

    item: Item
    date: datetime.date
    title: str
    participants: str
    content: str
    claimed: Decimal | None


def _check_draft(organization: Organization, draft: Draft, today: datetime.date) -> None:
    if draft.date > today:
        raise Refused("活动日期不能晚于今天")
    rule_set = draft.item.rule_set
    if rule_set.zone_id != organization.zone_id or draft.item.is_deduction:
        raise Refused("所选小项不是本开发区评分细则中可记录的小项")
    if rule_set.year != draft.date.year:
        raise Refused(
            f"所选小项属于 {rule_set.year} 年度评分细则，活动日期在 {draft.date.year} 年；"
            "请选择活动当年的小项"
        )
    if YearState.objects.filter(
        zone=organization.zone_id, year=rule_set.year, finalized=True
    ).exists():
        raise Refused(f"{rule_set.year} 年度已定级，不能再记录该年度的工作")
    if draft.claimed is not None:
        problem = rules.points_problem(
            draft.claimed,
            kind=draft.item.kind,
            cap=draft.item.quarterly_cap,
            step=rule_set.point_step,
            used=Decimal(0),
        )
        if problem:
            raise Refused(f"自评分：{problem}")


@transaction.atomic
def save_record(
    *,
    organization: Organization,
    user: Any,
    draft: Draft,
    record: WorkRecord | None = None,
    files: Iterable[Accepted] = (),
    remove: Iterable[int] = (),
) -> WorkRecord:
    """Create a draft (record None) or change a draft or returned record, with its files."""
    today = timezone.localdate()
    if record is not None:
        record = WorkRecord.objects.select_for_update().get(pk=record.pk)
        if not record.editable:
            raise Refused(f"该记录{record.get_state_display()}，不能再修改；需要更正请新建一条记录")
    _check_draft(organization, draft, today)
    files = list(files)
    removing = set(remove)
    kept = 0 if record is None else record.attachments.exclude(pk__in=removing).count()
    if kept + len(files) > MAX_ATTACHMENTS:
        raise Refused(f"每条记录最多 {MAX_ATTACHMENTS} 个佐证材料，现有 {kept + len(files)} 个")
    new = record is None
    if record is None:
        record = WorkRecord(organization=organization, created_by=user)
    record.item = draft.item
    record.date = draft.date
    record.year, record.month = draft.date.year, draft.date.month
    record.title = draft.title
    record.participants = draft.participants
    record.content = draft.content
    record.claimed_points = draft.claimed
    removed = list(record.attachments.filter(pk__in=removing)) if record.pk else []
    # The files are part of what the record says: which came and went is in its history.
    changes = [f"新增材料：{'、'.join(a.name for a in files)}"] if files else []
    if removed:
        changes.append(f"删除材料：{'、'.join(a.name for a in removed)}")
    reason = "新建草稿" if new else "修改记录"
    save_step(record, user, f"{reason}（{'；'.join(changes)}）" if changes else reason)
    for attachment in removed:
        _delete_files(attachment)
        attachment.delete()
    for accepted in files:
        add_attachment(record=record, accepted=accepted)
    return record


def add_attachment(*, record: WorkRecord, accepted: Accepted) -> RecordAttachment:
    attachment = RecordAttachment(
        record=record,
        name=accepted.name,
        content_type=accepted.content_type,
        size=len(accepted.data),
    )
    attachment.file.save(accepted.name, accepted.as_file(), save=False)
    if accepted.content_type.startswith("image/"):
        small = Accepted(name="thumb.jpg", content_type="image/jpeg", data=thumbnail(accepted.data))
        attachment.thumbnail.save(small.name, small.as_file(), save=False)
    attachment.save()
    return attachment


def _delete_files(attachment: RecordAttachment) -> None:
    names = [f.name for f in (attachment.file, attachment.thumbnail) if f]
    storage = attachment.file.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def deadline_of(record: WorkRecord) -> datetime.date:
    """The month's deadline (RuleSet.close_deadline): after it a submission is 逾期."""
    return record.item.rule_set.close_deadline(record.month)


@transaction.atomic
def submit_record(*, record: WorkRecord, user: Any) -> WorkRecord:
    record = (
        WorkRecord.objects.select_for_update().select_related("item__rule_set").get(pk=record.pk)
    )
    if not record.editable:
        raise Refused(f"该记录{record.get_state_display()}，不能再次提交")
    first = record.state == State.DRAFT
    record.state = State.SUBMITTED
    record.submitted_at = timezone.now()
    record.late = timezone.localdate() > deadline_of(record)
    reason = "提交" if first else "修改后重新提交"
    return save_step(record, user, f"{reason}（逾期）" if record.late else reason)


def cell_facts(
    org: Organization, year: int, month: int, items: list[Item]
) -> dict[int, dict[str, Any]]:
    """{item: (points, version, room)} of the organization's month: what awarding adds to."""
    entries = {
        e.item_id: e
        for e in PointEntry.objects.filter(organization=org, year=year, month=month, item__in=items)
    }
    room = rooms(org_ids=[org.pk], year=year, items=items, months=[month])
    facts = {}
    for item in items:
        entry = entries.get(item.pk)
        points = entry.points if entry else None
        left = room[(org.pk, item.pk, month)]
        facts[item.pk] = {
            "item": item,
            "points": points,
            "version": entry.version if entry else 0,
            "used": left.used,
            # The room is the month's whole share; what it already holds is spent of it.
            "extra": left.left - (points or 0),
        }
    return facts


@dataclass(frozen=True)
class Decision:
    """The office's answer to one submitted record: award `points`, or return it."""

    record_id: int
    award: bool
    points: Decimal | None = None
    comment: str = ""


@transaction.atomic
def review_records(
    *,
    zone: Any,
    organization: Organization,
    year: int,
    month: int,
    decisions: list[Decision],
    versions: dict[int, int],
    user: Any,
) -> list[WorkRecord]:
    """Answer several submitted records of one organization and month at once: the awarded
    points are added to the month's cells of their items (one save through the grid's service,
    with `versions` {item: version the reviewer saw} checked), the returned ones get their
    comment. Everything or nothing."""
    if not decisions:
        raise Refused("请至少对一条记录作出采纳或退回的决定")
    ids = [d.record_id for d in decisions]
    records = {
        r.pk: r
        for r in WorkRecord.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(pk__in=ids, organization=organization, year=year, month=month)
    }
    awarded: dict[int, list[tuple[WorkRecord, Decimal]]] = defaultdict(list)
    for decision in decisions:
        record = records.get(decision.record_id)
        if record is None:
            raise Refused(f"工作记录#{decision.record_id} 不是本组织本月的记录")
        if record.state != State.SUBMITTED:
            raise Refused(f"{record.label}{record.get_state_display()}，只有已提交的记录可以审核")
        if decision.award:
            if decision.points is None:
                raise Refused(f"{record.label}：采纳时请填写分值")
            awarded[record.item_id].append((record, decision.points))
        elif not decision.comment.strip():
            raise Refused(f"{record.label}：退回时必须填写意见")
    if awarded:
        _award(zone, organization, year, month, awarded, versions, user)
    now_answered = []
    for decision in decisions:
        record = records[decision.record_id]
        record.comment = decision.comment.strip()
        if decision.award:
            record.state, record.awarded_points = State.AWARDED, decision.points
            save_step(record, user, f"采纳，记 {rules.format_points(decision.points)} 分")
        else:
            record.state = State.RETURNED
            save_step(record, user, "退回修改")
        now_answered.append(record)
    _tell_secretary(organization, now_answered)
    return now_answered


def _award(
    zone: Any,
    organization: Organization,
    year: int,
    month: int,
    awarded: dict[int, list[tuple[WorkRecord, Decimal]]],
    versions: dict[int, int],
    user: Any,
) -> None:
    current = {
        e.item_id: e
        for e in PointEntry.objects.filter(
            organization=organization, year=year, month=month, item_id__in=awarded
        )
    }
    cells = []
    for item_id, pairs in awarded.items():
        entry = current.get(item_id)
        base = entry.points if entry and entry.points is not None else Decimal(0)
        cells.append(
            Cell(
                organization_id=organization.pk,
                item_id=item_id,
                month=month,
                value=base + sum(points for _, points in pairs),
                version=versions.get(item_id, entry.version if entry else 0),
            )
        )
    labels = "、".join(record.label for pairs in awarded.values() for record, _ in pairs)
    try:
        record_points(zone=zone, year=year, cells=cells, user=user, reason=f"采纳{labels}")
    except PointsRejected as rejected:
        raise Refused("；".join(e.message for e in rejected.errors)) from None


def _tell_secretary(organization: Organization, records: list[WorkRecord]) -> None:
    if organization.secretary is None:
        return
    drafts = []
    for record in records:
        if record.state == State.AWARDED:
            title = f"{record.label}已采纳，记 {rules.format_points(record.awarded_points)} 分"
        else:
            title = f"{record.label}被退回，请修改后重新提交"
        drafts.append(
            notify.Draft(
                user=organization.secretary,
                kind="record_reviewed",
                title=title,
                body=record.comment,
                url=reverse("records:detail", args=[record.pk]),
            )
        )
    notify.create(drafts)
