"""The secretary's 一本通 (month and year views, the record form) and the office's review."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs import access
from orgs.forms import OrganizationFilterForm, posted
from orgs.models import Organization, Role
from scoring import rules
from scoring.models import Item, PointEntry, RuleSet
from scoring.services.points import month_is_open_problem
from scoring.services.steps import Refused
from scoring.views.points import check_month, get_rule_set

from .forms import QueueFilterForm, RecordForm, ReviewForm
from .models import RecordAttachment, State, WorkRecord
from .services import (
    cell_facts,
    deadline_of,
    recordable_items,
    review_records,
    save_record,
    submit_record,
)

RECORDS = WorkRecord.objects.select_related("organization", "item__rule_set", "changed_by")
MISSING = "没有这条工作记录，或您无权查看。"
FILES = RecordAttachment.objects.select_related("record")
MISSING_FILE = "没有这个佐证材料，或您无权查看。"


@login_required
def home(request):
    """Where the 工作记录 link leads: a secretary's own month, the office's review queue."""
    today = timezone.localdate()
    user = request.user
    if user.role == Role.SECRETARY:
        org = access.visible_organizations(user).first()
        if org is None:
            raise Http404("您的账号还没有对应的党组织，请联系党建办。")
        return redirect("records:month", org.pk, today.year, today.month)
    if access.is_reader(user):
        return redirect("records:queue", today.year, today.month)
    raise PermissionDenied("此功能仅限党组织书记、党建办和党委查看账号使用。")


@login_required
def month(request, pk, year, month):
    """The month as the 一本通 shows it: each item with its records, their state and the
    points the month holds for it."""
    check_month(month)
    org = access.get_organization(request.user, pk)
    rule_set = get_rule_set(org.zone_id, year)
    records = list(
        WorkRecord.objects.filter(organization=org, year=year, month=month)
        .select_related("item")
        .prefetch_related("attachments")
    )
    entries = dict(
        PointEntry.objects.filter(organization=org, year=year, month=month).values_list(
            "item_id", "points"
        )
    )
    by_item: dict[int, list[WorkRecord]] = {}
    for record in records:
        by_item.setdefault(record.item_id, []).append(record)
    items = [
        {"item": item, "records": by_item.get(item.pk, []), "points": entries.get(item.pk)}
        for item in rule_set.ordered_items()
        if not item.is_deduction or item.pk in entries
    ]
    today = timezone.localdate()
    return render(
        request,
        "records/month.html",
        {
            "org": org,
            "year": year,
            "month": month,
            "items": items,
            "count": len(records),
            "deadline": rule_set.close_deadline(month),
            "today": today,
            "mine": access.is_secretary_of(request.user, org),
            "previous": _shift(year, month, -1),
            "next": _shift(year, month, 1) if (year, month) < (today.year, today.month) else None,
        },
    )


def _shift(year, month, by):
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


@login_required
def year(request, pk, year):
    """The year's records by item, month by month."""
    org = access.get_organization(request.user, pk)
    rule_set = get_rule_set(org.zone_id, year)
    records = WorkRecord.objects.filter(organization=org, year=year).order_by("item_id", "date")
    by_item = {key: list(group) for key, group in groupby(records, key=lambda r: r.item_id)}
    items = [
        {"item": item, "records": by_item.get(item.pk, [])}
        for item in rule_set.ordered_items()
        if item.pk in by_item or not item.is_deduction
    ]
    states = dict(records.order_by().values_list("state").annotate(n=Count("pk")))
    return render(
        request,
        "records/year.html",
        {
            "org": org,
            "year": year,
            "items": items,
            "states": [(s, states.get(s.value, 0)) for s in State],
            "mine": access.is_secretary_of(request.user, org),
            "years": RuleSet.objects.filter(zone=org.zone_id).values_list("year", flat=True),
        },
    )


def _items_for(org):
    """What a record may be filed under: this year's and last year's recordable items."""
    today = timezone.localdate()
    sets = RuleSet.objects.filter(zone=org.zone_id, year__in=[today.year, today.year - 1])
    ids = [
        item.pk for rs in sets.prefetch_related("majors__items") for item in recordable_items(rs)
    ]
    return (
        Item.objects.filter(pk__in=ids)
        .select_related("rule_set")
        .order_by("-rule_set__year", "major__position", "position", "pk")
    )


def _form_page(request, org, form, record=None):
    items = form.fields["item"].queryset
    return render(
        request,
        "records/form.html",
        {"org": org, "form": form, "record": record, "standards": items},
    )


def _save(request, org, record=None):
    existing = list(record.attachments.all()) if record else []
    initial: dict[str, object]
    if record is None:
        initial = {"date": timezone.localdate()}
    else:
        initial = {
            "date": record.date,
            "item": record.item_id,
            "title": record.title,
            "participants": record.participants,
            "content": record.content,
            "claimed": rules.format_points(record.claimed_points),
        }
    form = RecordForm(
        posted(request),
        request.FILES or None,
        items=_items_for(org),
        existing=existing,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_record(
                organization=org,
                user=request.user,
                draft=form.draft(),
                record=record,
                files=form.cleaned_data["evidence"],
                remove=form.removed() if "remove" in form.fields else (),
            )
            if request.POST.get("action") == "submit":
                saved = submit_record(record=saved, user=request.user)
        except Refused as refused:
            form.add_error(None, f"{refused}。")
        else:
            if saved.state == State.SUBMITTED:
                late = "（已过本月期限，标记为逾期）" if saved.late else ""
                messages.success(request, f"已提交，等待党建办审核{late}。")
            else:
                messages.success(request, "草稿已保存，可以稍后继续填写并提交。")
            return redirect("records:detail", saved.pk)
    return _form_page(request, org, form, record)


@login_required
def create(request, pk):
    org = access.get_organization(request.user, pk)
    access.require_secretary_of(request.user, org, "只有该组织的书记可以记录工作。")
    return _save(request, org)


@login_required
def edit(request, rid):
    record = access.get_in_scope(request.user, RECORDS, rid, missing=MISSING)
    access.require_secretary_of(request.user, record.organization, "只有该组织的书记可以修改记录。")
    if not record.editable:
        messages.info(
            request, f"该记录{record.get_state_display()}，不能再修改；需要更正请新建一条记录。"
        )
        return redirect("records:detail", record.pk)
    return _save(request, record.organization, record)


@require_POST
@login_required
def submit(request, rid):
    record = access.get_in_scope(request.user, RECORDS, rid, missing=MISSING)
    access.require_secretary_of(request.user, record.organization, "只有该组织的书记可以提交记录。")
    try:
        record = submit_record(record=record, user=request.user)
    except Refused as refused:
        messages.error(request, f"{refused}。")
    else:
        late = "（已过本月期限，标记为逾期）" if record.late else ""
        messages.success(request, f"已提交，等待党建办审核{late}。")
    return redirect("records:detail", record.pk)


@login_required
def detail(request, rid):
    record = access.get_in_scope(
        request.user, RECORDS.prefetch_related("attachments"), rid, missing=MISSING
    )
    org = record.organization
    facts = cell_facts(org, record.year, record.month, [record.item])[record.item_id]
    review = None
    if request.user.is_office and record.state == State.SUBMITTED:
        review = ReviewForm(records=[record], versions={record.item_id: facts["version"]})
    return render(
        request,
        "records/detail.html",
        {
            "record": record,
            "org": org,
            "facts": facts,
            "deadline": deadline_of(record),
            "mine": access.is_secretary_of(request.user, org),
            "review": review,
            "history": record.history.select_related("history_user").order_by(
                "history_date", "history_id"
            ),
        },
    )


def serve(field, name, content_type, *, inline):
    response = FileResponse(
        field.open("rb"), as_attachment=not inline, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def attachment(request, aid):
    file = access.get_in_scope(request.user, FILES, aid, missing=MISSING_FILE)
    # Images open in the browser (a phone shows the photo); documents are downloaded.
    return serve(file.file, file.name, file.content_type, inline=file.is_image)


@login_required
def thumbnail(request, aid):
    file = access.get_in_scope(request.user, FILES, aid, missing=MISSING_FILE)
    if not file.thumbnail:
        raise Http404("该材料不是图片，没有缩略图。")
    return serve(file.thumbnail, "thumb.jpg", "image/jpeg", inline=True)


@access.reader_required
def queue(request, year, month):
    """The month's records to review: organizations with records, filterable by committee,
    item and state (submitted by default)."""
    check_month(month)
    rule_set = get_rule_set(request.zone, year)
    scope = access.visible_organizations(request.user).in_zone(request.zone).scored()
    org_filter = OrganizationFilterForm(
        request.GET or None, committees=scope.committees(), only=("q", "committee")
    )
    record_filter = QueueFilterForm(request.GET or None, items=recordable_items(rule_set))
    records = WorkRecord.objects.filter(
        year=year, month=month, organization__in=org_filter.narrow(scope).values("pk")
    ).exclude(state=State.DRAFT)
    # The filter chooses the organizations; each row counts all of their month's records.
    matching = record_filter.apply(records).values("organization")
    per_org = (
        records.filter(organization__in=matching)
        .values("organization")
        .annotate(
            n=Count("pk"),
            submitted=Count("pk", filter=Q(state=State.SUBMITTED)),
            awarded=Count("pk", filter=Q(state=State.AWARDED)),
            returned=Count("pk", filter=Q(state=State.RETURNED)),
            late=Count("pk", filter=Q(late=True)),
        )
        .order_by("-submitted", "organization__path")
    )
    page = Paginator(per_org, 50).get_page(request.GET.get("page"))
    orgs = Organization.objects.with_committee().in_bulk([row["organization"] for row in page])
    rows = [{**row, "org": orgs[row["organization"]]} for row in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "records/queue.html",
        {
            "year": year,
            "month": month,
            "rows": rows,
            "page": page,
            "org_filter": org_filter,
            "record_filter": record_filter,
            "query": query.urlencode(),
            "waiting": WorkRecord.objects.filter(
                year=year, month=month, organization__in=scope.values("pk")
            )
            .waiting()
            .count(),
            "previous": _shift(year, month, -1),
            "next": _shift(year, month, 1),
        },
    )


@access.office_required
def review(request, pk, year, month):
    """Several records of one organization and month reviewed in one go."""
    check_month(month)
    org = access.get_organization(request.user, pk, write=True)
    records = list(
        WorkRecord.objects.filter(organization=org, year=year, month=month)
        .exclude(state=State.DRAFT)
        .select_related("item", "changed_by")
        .prefetch_related("attachments")
    )
    items = sorted({r.item for r in records}, key=lambda i: (i.major_id, i.position, i.pk))
    facts = cell_facts(org, year, month, items)
    form = ReviewForm(
        posted(request),
        records=records,
        versions={item_id: fact["version"] for item_id, fact in facts.items()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            answered = review_records(
                zone=request.zone,
                organization=org,
                year=year,
                month=month,
                decisions=form.decisions(),
                versions=form.versions(),
                user=request.user,
            )
        except Refused as refused:
            form.add_error(None, f"{refused}。")
        else:
            awarded = sum(1 for r in answered if r.state == State.AWARDED)
            messages.success(
                request,
                f"已处理 {len(answered)} 条：采纳 {awarded} 条，退回 {len(answered) - awarded} 条。",
            )
            target = request.POST.get("next")
            if target == "detail" and len(answered) == 1:
                return redirect("records:detail", answered[0].pk)
            return redirect("records:review", org.pk, year, month)
    return render(
        request,
        "records/review.html",
        {
            "org": org,
            "year": year,
            "month": month,
            "form": form,
            "records": records,
            "facts": list(facts.values()),
            "quarter": rules.quarter_of(month),
            # Said before anyone tries: awarding needs the month open, returning does not.
            "month_problem": month_is_open_problem(
                zone=request.zone,
                rule_set=RuleSet.objects.filter(zone=request.zone, year=year).first(),
                year=year,
                month=month,
                today=timezone.localdate(),
            ),
        },
    )
