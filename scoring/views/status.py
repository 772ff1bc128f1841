"""An organization's standing at a glance: what its secretary sees on login."""

from bisect import bisect_right
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import F, FilteredRelation, Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone

from orgs import access
from orgs.models import Organization

from .. import rules
from ..models import ItemKind, Level, PointEntry, Rectification, RuleSet
from ..standings import level_at, quarter_history, recent_quarters, thresholds_by_year

RANKS_TTL = 60
CHART = {"width": 900, "height": 220, "top": 18, "bottom": 26, "left": 30}


def tier_totals(year):
    """{tier: year totals of that tier's organizations, ascending}, cached for a minute: ranks
    are read on every secretary's page and change with every entry."""
    key = f"tier-totals:{year}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = (
        Organization.objects.scored()
        .with_tier(year)
        .annotate(card=FilteredRelation("scorecards", condition=Q(scorecards__year=year)))
        .annotate(year_total=Coalesce(F("card__total"), Decimal(0)))
        .order_by("tier", "year_total")
        .values_list("tier", "year_total")
    )
    result = {}
    for tier, total in rows:
        result.setdefault(tier, []).append(float(total))
    cache.set(key, result, RANKS_TTL)
    return result


def rank_in_tier(tier, total, year):
    """(rank, size): 1 + how many of the tier scored more this year (ties share a rank)."""
    ordered = tier_totals(year).get(tier, [])
    higher = len(ordered) - bisect_right(ordered, float(total))
    return (higher + 1 if ordered else None), len(ordered)


def quarters_with_levels(org_id, periods):
    """[(year, quarter, total, level, active)] for consecutive `periods` of one organization."""
    earlier = rules.previous_quarters(*periods[0], 2)[::-1]
    history = quarter_history([org_id], [*earlier, *periods])
    thresholds = thresholds_by_year(y for y, _ in [*earlier, *periods])

    def total_of(period):
        return history.get((org_id, *period), Decimal(0))

    return [
        (*p, total_of(p), level_at(p, total_of, thresholds), p[0] in thresholds) for p in periods
    ]


def chart(points, threshold):
    """Bar geometry for an inline SVG trend chart: no scripts, no CDN, prints as is."""
    width, height = CHART["width"], CHART["height"]
    top, bottom, left = CHART["top"], CHART["bottom"], CHART["left"]
    ceiling = max([float(threshold) + 5, *(float(p["total"]) for p in points)])
    plot = height - top - bottom
    step = (width - left) / len(points)

    def y(value):
        return top + plot * (1 - max(float(value), 0) / ceiling)

    bars = []
    for i, p in enumerate(points):
        x = left + i * step + step * 0.2
        bars.append(
            {
                **p,
                "x": round(x, 1),
                "y": round(y(p["total"]), 1),
                "ty": round(y(p["total"]) - 4, 1),
                "w": round(step * 0.6, 1),
                "h": round(height - bottom - y(p["total"]), 1),
                "cx": round(x + step * 0.3, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "threshold_y": round(y(threshold), 1),
        "threshold_ty": round(y(threshold) + 4, 1),
        "axis_y": height - bottom,
        "label_y": height - bottom + 16,
        "left": left,
    }


@login_required
def status(request, pk):
    org = access.get_organization(request.user, pk)
    today = timezone.localdate()
    year, quarter = today.year, rules.quarter_of(today.month)
    rule_set = RuleSet.objects.filter(year=year).first()
    if rule_set is None:
        return render(request, "scoring/status.html", {"org": org, "year": year, "rule_set": None})
    used = dict(
        PointEntry.objects.recorded()
        .in_quarter(year, quarter)
        .filter(organization=org)
        .order_by()
        .values_list("item_id")
        .annotate(points=Sum("points"))
    )
    missing = [
        (item, fmt(used.get(item.pk, 0)), fmt(item.quarterly_cap - used.get(item.pk, 0)))
        for item in rule_set.items.filter(kind=ItemKind.ROUTINE).order_by("position")
        if used.get(item.pk, 0) < item.quarterly_cap
    ]
    missing_total = sum((i.quarterly_cap - used.get(i.pk, 0) for i, _, _ in missing), Decimal(0))
    # The last eight quarters include this year's, so one pass serves the chart and the cards.
    history = quarters_with_levels(org.pk, recent_quarters(year, quarter, 8))
    year_quarters = [h for h in history if h[0] == year]
    so_far = year_quarters[-1][2]
    trend = [
        {
            "label": f"{y % 100:02d}年Q{q}",
            "total": total,
            "shown": fmt(total),
            "level": level,
            "active": active,
            "provisional": (y, q) == (year, quarter),
        }
        for y, q, total, level, active in history
    ]
    tier = Organization.objects.filter(pk=org.pk).with_tier(year).values_list("tier", flat=True)[0]
    year_total = sum((t for _, _, t, _, _ in year_quarters), Decimal(0))
    rank, tier_size = rank_in_tier(tier, year_total, year) if tier else (None, 0)
    tasks = (
        Rectification.objects.pending()
        .filter(warning__organization=org)
        .select_related("warning__notice")
        .order_by("deadline")
    )
    threshold = rule_set.warning_threshold
    return render(
        request,
        "scoring/status.html",
        {
            "org": org,
            "year": year,
            "quarter": quarter,
            "rule_set": rule_set,
            "threshold": f"{threshold:.0f}",
            "so_far": fmt(so_far),
            "gap": fmt(max(threshold - so_far, 0)) if so_far < threshold else None,
            "progress": min(int(so_far / threshold * 100), 100) if threshold else 100,
            "missing": missing,
            "missing_total": fmt(missing_total),
            "year_quarters": [
                (q, fmt(total), Level(level) if level else None, q == quarter)
                for _, q, total, level, _ in year_quarters
            ],
            "chart": chart(trend, threshold),
            "tier": tier,
            "rank": rank,
            "tier_size": tier_size,
            "tasks": tasks,
            "today": today,
        },
    )


def fmt(value):
    return f"{value:.1f}"
