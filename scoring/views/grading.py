"""年度综评定级: the year's grades (live, or stored once finalized), finalizing and reopening,
next year's tier proposals, and the Excel grade sheet."""

from io import BytesIO
from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs import access, stamps
from orgs.forms import OrganizationFilterForm, posted
from orgs.models import Sector, Tier, TierAssignment, TierSource
from partybuild import fragments

from ..forms import GradeFilterForm, OverrideForm, ReasonForm
from ..grades import GradeRow, live_rows, stored_results, stored_rows
from ..models import AnnualResult, Grade, RuleSet, YearState
from ..services.grading import confirm_tiers, finalize_year, override_tier, reopen_year
from ..services.steps import Refused
from ..sheets import grades as grade_sheet
from .points import get_rule_set

PAGE_SIZE = 50


def year_state(zone, year):
    return YearState.objects.filter(zone=zone, year=year).first() or YearState(zone=zone, year=year)


@access.reader_required
def grading_index(request):
    last_year = timezone.localdate().year - 1
    rule_sets = RuleSet.objects.filter(zone=request.zone)
    rule_set = rule_sets.filter(year__lte=last_year).first() or rule_sets.first()
    if rule_set is None:
        messages.info(request, "还没有评分细则，暂无年度定级。")
        return redirect("scoring:rules")
    return redirect("scoring:grading", rule_set.year)


@access.reader_required
def grading(request, year):
    state = year_state(request.zone, year)
    # A finalized year's results carry overrides the zone's stamp does not sum: read fresh.
    content = fragments.content(
        request,
        "grading",
        None if state.finalized else stamps.zone_parts(request, year),
        "scoring/_grading_content.html",
        lambda: grading_context(request, year, state),
    )
    return render(request, "scoring/grading.html", {"year": year, "content": content})


def grading_context(request, year, state):
    """What the year's grading page shows (its YearState `state`): live grades and ranks, or
    the stored results."""
    zone = request.zone
    rule_set = get_rule_set(zone, year)
    scope = access.visible_organizations(request.user).in_zone(zone).scored()
    org_filter = OrganizationFilterForm(
        request.GET or None,
        committees=scope.committees(),
        only=("q", "sector", "committee", "tier"),
    )
    grade_filter = GradeFilterForm(request.GET or None)
    organizations = org_filter.by_tier(org_filter.narrow(scope), year)
    grade = grade_filter.chosen()
    if state.finalized:
        results = stored_results(zone, year).filter(organization__in=organizations.values("pk"))
        distribution = {
            (sector, g): n
            for sector, g, n in results.order_by()
            .values_list("sector", "grade")
            .annotate(n=Count("pk"))
        }
        subsidy_total = results.aggregate(s=Sum("subsidy"))["s"] or 0
        if grade:
            results = results.filter(grade=grade)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        # The page's own slice: an empty page (a search that finds nobody) has no start.
        rows = list(stored_rows(cast(QuerySet, page.object_list)))
    else:
        # Ranks are over the whole zone, as finalizing stores them, whatever the filters.
        wanted = set(organizations.values_list("pk", flat=True))
        graded = [
            r
            for r in live_rows(rule_set, today=timezone.localdate())
            if r.organization_id in wanted
        ]
        distribution = {}
        for row in graded:
            key = (row.sector, row.grade)
            distribution[key] = distribution.get(key, 0) + 1
        subsidy_total = sum(r.subsidy or 0 for r in graded)
        if grade:
            graded = [r for r in graded if r.grade == grade]
        page = Paginator(graded, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page)
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    return {
        "year": year,
        "rule_set": rule_set,
        "state": state,
        "provisional": not state.finalized,
        "running": year >= today.year,
        "distribution": _distribution_table(distribution),
        "subsidy_total": subsidy_total,
        "rows": rows,
        "page": page,
        "org_filter": org_filter,
        "grade_filter": grade_filter,
        "query": query.urlencode(),
        "years": RuleSet.objects.filter(zone=zone).order_by("year").values_list("year", flat=True),
        "history": state.history.select_related("history_user").order_by("-history_date")
        if state.pk
        else [],
    }


def _distribution_table(distribution):
    """Rows of sector × grade counts with totals, in the sectors' order."""
    table = []
    for sector in Sector:
        counts = [distribution.get((sector.value, g.value), 0) for g in Grade]
        if sum(counts):
            table.append((sector.label, counts, sum(counts)))
    totals = [sum(row[1][i] for row in table) for i in range(len(Grade))]
    return {"rows": table, "totals": totals, "all": sum(totals)}


@require_POST
@access.office_required
def finalize(request, year):
    get_rule_set(request.zone, year)
    try:
        finalize_year(zone=request.zone, year=year, user=request.user)
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{year} 年度已定级，各月积分已冻结。请确认下年分类。")
    return redirect("scoring:grading", year)


@access.office_required
def reopen(request, year):
    get_rule_set(request.zone, year)
    form = ReasonForm(posted(request), label="撤销定级原因")
    if request.method == "POST" and form.is_valid():
        try:
            reopen_year(
                zone=request.zone, year=year, user=request.user, reason=form.cleaned_data["reason"]
            )
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"已撤销 {year} 年度定级；修改积分前请重新开放相应月份。")
            return redirect("scoring:grading", year)
    return render(request, "scoring/reopen_year.html", {"form": form, "year": year})


@access.office_required
def tiers(request, year):
    zone = request.zone
    get_rule_set(zone, year)
    state = year_state(zone, year)
    if not state.finalized:
        messages.info(request, f"{year} 年度尚未定级，定级后才能确认下年分类。")
        return redirect("scoring:grading", year)
    results = stored_results(zone, year)
    changed = results.exclude(override_tier="")
    only_changed = request.GET.get("changed") == "1"
    page = Paginator(changed if only_changed else results, 100).get_page(request.GET.get("page"))
    rows: list[GradeRow] = list(stored_rows(cast(QuerySet, page.object_list)))
    next_year = TierAssignment.objects.filter(
        year=year + 1, organization__in=results.values("organization_id")
    )
    set_by_hand = dict(
        next_year.filter(organization_id__in=[r.organization_id for r in rows])
        .exclude(source=TierSource.GRADING)
        .order_by("set_at", "pk")
        .values_list("organization_id", "tier")
    )
    counts = dict(results.order_by().values_list("proposed_tier").annotate(n=Count("pk")))
    return render(
        request,
        "scoring/tiers.html",
        {
            "year": year,
            "state": state,
            "rows": [(row, set_by_hand.get(row.organization_id)) for row in rows],
            "page": page,
            "query": "changed=1" if only_changed else "",
            "only_changed": only_changed,
            "changed_count": changed.count(),
            "set_by_hand_count": results.filter(
                organization_id__in=next_year.exclude(source=TierSource.GRADING).values(
                    "organization_id"
                )
            ).count(),
            "counts": [(t, counts.get(t.value, 0)) for t in Tier],
            "tier_choices": Tier.choices,
        },
    )


@require_POST
@access.office_required
def tier_override(request, year, pk):
    result = get_object_or_404(AnnualResult, zone=request.zone, year=year, organization_id=pk)
    form = OverrideForm(posted(request))
    name = result.name
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{name}：{error}")
    else:
        try:
            override_tier(result=result, user=request.user, **form.cleaned_data)
        except Refused as refused:
            messages.error(request, f"{name}：{refused}")
        else:
            messages.success(request, "已保存调整。")
    page = request.POST.get("page", "")
    target = reverse("scoring:tiers", args=[year])
    return redirect(f"{target}?page={page}" if page.isdigit() else target)


@require_POST
@access.office_required
def tiers_confirm(request, year):
    try:
        kept = confirm_tiers(zone=request.zone, year=year, user=request.user)
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{year + 1} 年度分类已确认，并记入各组织的分类记录。")
        if kept:
            messages.info(
                request, f"{kept} 个组织此前已在组织页面设定了 {year + 1} 年度分类，保留其设定。"
            )
    return redirect("scoring:tiers", year)


@access.office_required
def grades_export(request, year):
    zone = request.zone
    rule_set = get_rule_set(zone, year)
    state = year_state(zone, year)
    buffer = BytesIO()
    grade_sheet.write(
        buffer,
        rule_set=rule_set,
        finalized=state.finalized,
        today=timezone.localdate(),
    )
    buffer.seek(0)
    suffix = "" if state.finalized else "（预估）"
    return FileResponse(buffer, as_attachment=True, filename=f"{year}年度评级表{suffix}.xlsx")
