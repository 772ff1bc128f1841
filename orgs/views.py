from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from partybuild import fragments

from . import access, stamps
from .forms import (
    CoveredUnitFormSet,
    OrganizationFilterForm,
    OrganizationForm,
    TierChangeForm,
    ZoneForm,
    ZoneMoveForm,
    parent_from_link,
    posted,
)
from .models import CoveredUnit, Organization, Role, Tier, TierSource
from .services import Refused, assign_tier, create_zone, move_to_zone, save_organization

PAGE_SIZE = 50


@access.zone_required
def org_list(request):
    if request.user.role == Role.SECRETARY:
        return redirect("home")
    content = fragments.content(
        request,
        "orgs",
        stamps.zone_parts(request),
        "orgs/_list_content.html",
        lambda: org_list_context(request),
    )
    return render(request, "orgs/list.html", {"content": content})


def org_list_context(request):
    """What the organization list shows: the page of organizations, with tier counts."""
    user = request.user
    scope = access.visible_organizations(user).in_zone(request.zone)
    form = OrganizationFilterForm(request.GET or None, committees=scope.committees())
    year = form.values()["year"]
    qs = form.narrow(scope.filter(depth__gt=1))
    tier_counts = qs.tier_counts(year)
    qs = form.by_tier(qs, year)
    units = CoveredUnit.objects.filter(organization=OuterRef("pk")).order_by()
    qs = (
        qs.with_tier(year)
        .with_committee()
        .annotate(
            unit_count=Coalesce(
                Subquery(units.values("organization").annotate(n=Count("pk")).values("n")), 0
            )
        )
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form,
        "page": page,
        "year": year,
        "tiers": [(t, tier_counts.get(t.value, 0)) for t in Tier],
        "untiered": tier_counts.get(None, 0),
        "total": sum(tier_counts.values()),
        "query": query.urlencode(),
    }


@login_required
def org_detail(request, pk):
    org = access.get_organization(request.user, pk)
    year = timezone.localdate().year
    tier = Organization.objects.filter(pk=org.pk).with_tier(year).values_list("tier", flat=True)
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "year": year,
            "tier": tier[0] if tier else None,
            "ancestors": org.ancestors(),
            "children": Organization.objects.get_children(org),
            "units": org.covered_units.all(),
            "tier_history": org.tier_history.select_related("set_by"),
            "zone_moves": org.zone_moves.select_related("from_zone", "to_zone", "moved_by"),
            "terms": org.secretary_terms.select_related("user", "changed_by"),
        },
    )


def _edit(request, org, parent=None):
    form = OrganizationForm(
        posted(request), instance=org, zone=org.zone, initial={"parent": parent}
    )
    units = CoveredUnitFormSet(posted(request), instance=org, prefix="units")
    if request.method == "POST" and form.is_valid() and units.is_valid():
        saved = save_organization(form=form, units=units)
        if saved is not None:
            messages.success(request, f"已保存：{saved.name}")
            return redirect("orgs:detail", saved.pk)
    return render(request, "orgs/form.html", {"form": form, "units": units, "org": org})


@access.admin_required
def org_create(request):
    zone = request.zone
    return _edit(request, Organization(zone=zone), parent_from_link(request.GET, zone))


@login_required
def org_edit(request, pk):
    return _edit(request, access.get_organization_for_registry(request.user, pk))


@login_required
def org_tier(request, pk):
    org = access.get_organization(request.user, pk, write=True)
    year = timezone.localdate().year
    tiers = Organization.objects.filter(pk=org.pk).with_tier(year)
    current = tiers.values_list("tier", flat=True).first()
    form = TierChangeForm(posted(request), initial={"year": year, "tier": current})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assign_tier(
            organization=org,
            year=data["year"],
            tier=data["tier"],
            source=TierSource.MANUAL,
            reason=data["reason"],
            user=request.user,
        )
        messages.success(
            request, f"已将 {org.label} {data['year']} 年度分类调整为 {Tier(data['tier']).label}。"
        )
        return redirect("orgs:detail", org.pk)
    return render(
        request,
        "orgs/tier_form.html",
        {"form": form, "org": org, "year": year, "current": current and Tier(current)},
    )


@access.cross_zone_required
def zones(request):
    """The zones a city, province or platform account reads, to choose one to look at."""
    visible = list(access.visible_zones(request.user).select_related("region"))
    zone_ids = [zone.pk for zone in visible]
    counts = access.across_zones(
        "zone-counts",
        zone_ids,
        (),
        lambda: dict(
            Organization.objects.scored()
            .filter(zone__in=zone_ids)
            .order_by()
            .values_list("zone")
            .annotate(n=Count("pk"))
        ),
    )
    current = access.current_zone(request)
    return render(
        request,
        "orgs/zones.html",
        {
            "zones": [(zone, counts.get(zone.pk, 0)) for zone in visible],
            "current": current,
        },
    )


@require_POST
@access.cross_zone_required
def zone_choose(request, pk):
    zone = access.visible_zones(request.user).filter(pk=pk).first()
    if zone is None:
        raise Http404("没有这个开发区，或您无权查看。")
    access.choose_zone(request, zone)
    messages.success(request, f"正在查看：{zone.name}（只读）。")
    return redirect("orgs:list")


@access.platform_required
def zone_create(request):
    form = ZoneForm(posted(request))
    if request.method == "POST" and form.is_valid():
        zone = create_zone(**form.cleaned_data)
        messages.success(
            request,
            f"已创建 {zone.name}，首位管理员 {form.cleaned_data['admin_username']} 可登录建立名册、评分细则和账号。",
        )
        return redirect("orgs:zones")
    return render(request, "orgs/zone_form.html", {"form": form})


@access.platform_required
def org_move(request, pk):
    """Move an organization (with everything below it) to another zone."""
    org = access.get_organization(request.user, pk)
    form = ZoneMoveForm(posted(request), organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            move = move_to_zone(
                organization=org,
                parent=form.cleaned_data["parent"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"已将 {org.name} 从{move.from_zone}转入{move.to_zone}。")
            return redirect("orgs:detail", org.pk)
    return render(request, "orgs/move_form.html", {"form": form, "org": org})
