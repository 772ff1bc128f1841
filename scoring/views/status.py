"""An organization's standing at a glance: what its secretary sees on login."""

from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import astuple
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property

from orgs import access
from orgs.models import Organization
from partybuild import fragments

from .. import rules
from ..models import (
    ItemKind,
    Level,
    Notice,
    PointEntry,
    Rectification,
    RuleSet,
    Status,
    Warning,
)
from ..standings import (
    level_at,
    quarter_history,
    recent_quarters,
    scorecard_of,
    status_stamps,
    thresholds_by_year,
)

RANKS_TTL = 60
# Panels that apps built on scoring add to an organization's page: functions of
# (organization, user, today, warned ever) answering (template, context) or None. The appeals
# (records app) add one.
STATUS_PANELS: list[Callable[..., tuple[str, dict] | None]] = []
CHART = {"width": 900, "height": 220, "top": 18, "bottom": 26, "left": 30}


def tier_totals(zone_id, year):
    """{tier: year totals of that tier's organizations of the zone, ascending}, cached for a
    minute: ranks are read on every secretary's page and change with every entry."""
    key = f"tier-totals:{zone_id}:{year}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = (
        Organization.objects.in_zone(zone_id)
        .scored()
        .with_tier(year)
        .annotate(card=scorecard_of(year))
        .annotate(year_total=Coalesce(F("card__total"), Decimal(0)))
        .order_by("tier", "year_total")
        .values_list("tier", "year_total")
    )
    result: dict[str | None, array[float]] = {}
    for tier, total in rows:
        result.setdefault(tier, array("d")).append(total)
    # Arrays of doubles, not lists: the cache pickles the value on every read.
    cache.set(key, result, RANKS_TTL)
    return result


def rank_in_tier(zone_id, tier, total, year):
    """(rank, size) within the zone's tier: 1 + how many of it scored more this year (ties
    share a rank)."""
    ordered = tier_totals(zone_id, year).get(tier, [])
    higher = len(ordered) - bisect_right(ordered, float(total))
    return (higher + 1 if ordered else None), len(ordered)


def quarters_with_levels(zone_id, org_id, periods):
    """[(year, quarter, total, level, active)] for consecutive `periods` of one organization."""
    first_year, first_quarter = periods[0]
    earlier = rules.previous_quarters(first_year, first_quarter, 2)[::-1]
    history = quarter_history([org_id], [*earlier, *periods])
    thresholds = thresholds_by_year(zone_id, (y for y, _ in [*earlier, *periods]))

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


class Figures:
    """What the page shows of an organization's quarters. Each figure is computed on first
    use, so a page whose fragment is still cached computes none of them."""

    def __init__(self, org, today):
        self.org_id, self.zone_id = org.pk, org.zone_id
        self.today = today
        self.year, self.quarter = today.year, rules.quarter_of(today.month)

    @cached_property
    def rule_set(self):
        return RuleSet.objects.get(zone=self.zone_id, year=self.year)

    @cached_property
    def threshold(self):
        return self.rule_set.warning_threshold

    @cached_property
    def history(self):
        """The last eight quarters; they include this year's, for the chart and the cards."""
        periods = recent_quarters(self.year, self.quarter, 8)
        return quarters_with_levels(self.zone_id, self.org_id, periods)

    @cached_property
    def year_quarters(self):
        """This year's quarters as a secretary should read them: a published quarter with the
        level its notice gave (frozen, whatever was corrected later), an ended one not yet
        published with its level as an estimate (预估), the running one as progress."""
        notices = {n.quarter: n for n in Notice.objects.filter(zone=self.zone_id, year=self.year)}
        published = dict(
            Warning.objects.filter(
                notice__in=notices.values(), organization_id=self.org_id
            ).values_list("notice__quarter", "level")
        )
        rows = []
        for y, q, total, level, _ in self.history:
            if y != self.year:
                continue
            if q == self.quarter:
                state, shown = "running", None
            elif q in notices:
                state, shown = "published", published.get(q)
            else:
                state, shown = "estimate", level
            rows.append(
                {
                    "quarter": q,
                    "total": fmt(total),
                    "state": state,
                    "level": Level(shown) if shown else None,
                    "notice": notices.get(q),
                }
            )
        return rows

    @cached_property
    def so_far_value(self):
        return self.history[-1][2]

    def so_far(self):
        return fmt(self.so_far_value)

    def gap(self):
        return (
            fmt(self.threshold - self.so_far_value) if self.so_far_value < self.threshold else None
        )

    @cached_property
    def months_ended(self):
        return rules.months_ended(self.year, self.quarter, self.today)

    @cached_property
    def line(self):
        """What the quarter's ended months should have reached (预估 progress, not a level)."""
        return rules.pro_rated_line(self.threshold, self.months_ended)

    def line_label(self):
        return fmt(self.line)

    def behind(self):
        return fmt(self.line - self.so_far_value) if self.so_far_value < self.line else None

    def progress(self):
        return min(int(self.so_far_value / self.threshold * 100), 100)

    def threshold_label(self):
        return f"{self.threshold:.0f}"

    @cached_property
    def missing(self):
        """The routine items below their quarterly cap: (item, got, room)."""
        used = dict(
            PointEntry.objects.recorded()
            .in_quarter(self.year, self.quarter)
            .filter(organization_id=self.org_id)
            .order_by()
            .values_list("item_id")
            .annotate(points=Sum("points"))
        )
        items = self.rule_set.items.filter(kind=ItemKind.ROUTINE).order_by("position")
        rows = []
        for item in items:
            got = used.get(item.pk, Decimal(0))
            left = rules.room(kind=item.kind, cap=item.quarterly_cap, used=got)
            if left > 0:
                rows.append((item, got, left))
        return rows

    def missing_rows(self):
        return [(item, fmt(got), fmt(room)) for item, got, room in self.missing]

    def missing_total(self):
        return fmt(sum((room for _, _, room in self.missing), Decimal(0)))

    def chart(self):
        trend = [
            {
                "label": f"{y % 100:02d}年Q{q}",
                "total": total,
                "shown": fmt(total),
                "level": level,
                "active": active,
                "provisional": (y, q) == (self.year, self.quarter),
            }
            for y, q, total, level, active in self.history
        ]
        return chart(trend, self.threshold)


@login_required
def status(request, pk):
    org = access.get_organization(request.user, pk)
    today = timezone.localdate()
    stamps = status_stamps(org.pk, org.zone_id, today.year)
    rank, tier_size = (
        rank_in_tier(org.zone_id, stamps.tier, stamps.year_total, today.year)
        if stamps.tier and stamps.rules_changed is not None
        else (None, 0)
    )
    # Cached whole when it follows from its stamps: not for a warned organization, whose
    # rectification tasks and the panels apps add are read fresh.
    shared = stamps.rules_changed is not None and not stamps.tasks
    parts = (org.pk, org.updated_at, request.user.pk, astuple(stamps), rank, tier_size, today)
    content = fragments.content(
        request,
        "status",
        parts if shared else None,
        "scoring/_status_content.html",
        lambda: status_context(request, org, today, stamps, rank, tier_size),
    )
    return render(request, "scoring/status.html", {"org": org, "content": content})


def status_context(request, org, today, stamps, rank, tier_size):
    """What the organization's page shows, beside the stamps and rank read for its key."""
    context = {"org": org, "year": today.year, "today": today, "tier": stamps.tier}
    if stamps.rules_changed is None:
        return {**context, "figures": None}
    # Every task the organization had, newest notice first: the open ones lead the page, all
    # of them (with the warning that opened them) stay as its history.
    tasks = (
        list(
            Rectification.objects.filter(warning__organization=org)
            .select_related("warning__notice")
            .order_by("-warning__notice__year", "-warning__notice__quarter")
        )
        if stamps.tasks
        else []
    )
    user = request.user
    return {
        **context,
        "figures": Figures(org, today),
        # The fragments below the title change only with this organization's points, the
        # rule set or the date; tasks and rank are read fresh.
        "stamp": f"{today:%Y%m%d}|{stamps.scorecard_changed}|{stamps.rules_changed}|"
        f"{stamps.latest_notice}",
        "rank": rank,
        "tier_size": tier_size,
        "open_tasks": sorted(
            (t for t in tasks if t.status != Status.ACCEPTED), key=lambda t: t.deadline
        ),
        "tasks": tasks,
        "reports_for_it": access.is_secretary_of(user, org),
        "panels": [
            panel for add in STATUS_PANELS if (panel := add(org, user, today, bool(stamps.tasks)))
        ],
    }


fmt = rules.format_points
