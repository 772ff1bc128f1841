"""各区对比: city, province and platform accounts compare their zones in a quarter: entries,
average totals, warnings by level, whether the notice is out, and last year's grades. One
grouped query per figure, whatever the number of zones."""

from django import forms
from django.db.models import Avg, Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone

from orgs import access
from orgs.models import Organization

from .. import rules
from ..models import AnnualResult, Grade, Level, Notice, RuleSet, YearState
from ..standings import ZERO, scorecard_of
from .warnings import default_quarter


class PeriodForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度", coerce=int, choices=[(q, f"第{q}季度") for q in range(1, 5)]
    )

    def chosen(self, default):
        if self.is_bound and self.is_valid():
            return self.cleaned_data["year"], self.cleaned_data["quarter"]
        return default


def zone_figures(zones, year, quarter):
    """{zone id: {n, entered, average, levels {level: count}}} of the zones' scored
    organizations in (year, quarter), from their scorecards. An organization without a
    scorecard recorded nothing: it counts as red where the zone has a rule set that year."""
    card = f"card__l{quarter}"
    no_card = Q(card__id__isnull=True)
    rows = (
        Organization.objects.scored()
        .filter(zone__in=zones)
        .annotate(card=scorecard_of(year))
        .order_by()
        .values("zone")
        .annotate(
            n=Count("pk"),
            entered=Count("pk", filter=Q(**{f"card__e{quarter}__gt": 0})),
            average=Avg(Coalesce(F(f"card__q{quarter}"), Value(ZERO))),
            red=Count("pk", filter=Q(**{card: rules.RED}) | no_card),
            orange=Count("pk", filter=Q(**{card: rules.ORANGE})),
            yellow=Count("pk", filter=Q(**{card: rules.YELLOW})),
        )
    )
    return {row.pop("zone"): row for row in rows}


@access.cross_zone_required
def compare(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    year, quarter = form.chosen(default_quarter(today))
    zones = list(access.visible_zones(request.user).select_related("region"))
    zone_ids = [zone.pk for zone in zones]
    figures = access.across_zones(
        "zone-figures", zone_ids, (year, quarter), lambda: zone_figures(zone_ids, year, quarter)
    )
    ruled = set(RuleSet.objects.filter(zone__in=zone_ids, year=year).values_list("zone", flat=True))
    notices = {
        n.zone_id: n for n in Notice.objects.filter(zone__in=zone_ids, year=year, quarter=quarter)
    }
    last_year = year - 1
    finalized = set(
        YearState.objects.filter(zone__in=zone_ids, year=last_year, finalized=True).values_list(
            "zone", flat=True
        )
    )
    grades: dict[int, dict[int, int]] = {}
    for zone_id, grade, n in (
        AnnualResult.objects.filter(zone__in=finalized, year=last_year)
        .order_by()
        .values_list("zone", "grade")
        .annotate(n=Count("pk"))
    ):
        grades.setdefault(zone_id, {})[grade] = n
    rows = []
    for zone in zones:
        f = figures.get(zone.pk, {"n": 0, "entered": 0, "average": None})
        has_rules = zone.pk in ruled
        rows.append(
            {
                "zone": zone,
                "n": f["n"],
                "has_rules": has_rules,
                "entered": f["entered"],
                "entered_share": f["entered"] / f["n"] if f["n"] else None,
                "average": f["average"] if has_rules else None,
                "levels": [(level, f.get(level.name.lower(), 0)) for level in reversed(Level)]
                if has_rules
                else [],
                "warned": sum(f.get(level.name.lower(), 0) for level in Level) if has_rules else 0,
                "notice": notices.get(zone.pk),
                "grades": [(g, grades.get(zone.pk, {}).get(g.value, 0)) for g in Grade]
                if zone.pk in finalized
                else None,
            }
        )
    return render(
        request,
        "scoring/compare.html",
        {
            "form": form,
            "year": year,
            "quarter": quarter,
            "last_year": last_year,
            "rows": rows,
            "levels": list(reversed(Level)),
            "grade_labels": list(Grade),
            "running": (year, quarter) >= (today.year, rules.quarter_of(today.month)),
        },
    )
