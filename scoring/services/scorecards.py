"""The Scorecard of each organization and year, kept current in the transaction of every write
to its points (and to the thresholds), with the warning levels its quarters get."""

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from decimal import Decimal

from django.utils import timezone

from orgs.models import Zone

from ..models import PointEntry, Scorecard
from ..standings import ZERO, Period, level_at, thresholds_by_year

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
SCORECARD_FIELDS = [*SCORECARD_SUMS, "zone", "updated_at"]
LEVELS = ["l1", "l2", "l3", "l4"]


def refresh_scorecards(*, zone: Zone, org_ids: Collection[int], years: Iterable[int]) -> None:
    """Recompute the Scorecards of `org_ids` (of `zone`) × `years` from the raw rows, then the
    warning levels they and the following year's first quarters depend on. Call inside the
    transaction that changed those rows."""
    if not org_ids:
        return
    years = list(years)
    now = timezone.now()
    sums = {
        (row["organization_id"], row["year"]): row
        for row in PointEntry.objects.scorecard_sums(org_ids, years)
    }
    Scorecard.objects.bulk_create(
        [
            Scorecard(
                organization_id=org_id,
                zone=zone,
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
    refresh_levels(
        zone=zone, years={y for year in years for y in (year, year + 1)}, org_ids=org_ids
    )


def _total(totals: dict[tuple[int, int, int], Decimal], org: int, period: Period) -> Decimal:
    return totals.get((org, *period), ZERO)


def refresh_levels(*, zone: Zone, years: set[int], org_ids: Collection[int] | None = None) -> None:
    """Recompute l1–l4 of the scorecards of `years` (of `org_ids`, or of every organization
    of `zone`) from the stored totals with rules.warning_level under the zone's thresholds;
    the first quarters look back to the year before."""
    cards = Scorecard.objects.filter(year__in={y for year in years for y in (year - 1, year)})
    if org_ids is not None:
        cards = cards.filter(organization_id__in=org_ids)
    else:
        cards = cards.filter(zone=zone)
    rows = list(cards.values_list("pk", "organization_id", "year", "q1", "q2", "q3", "q4", *LEVELS))
    totals: dict[tuple[int, int, int], Decimal] = {}
    for _, org, year, *figures in rows:
        for number, total in enumerate(figures[:4], start=1):
            totals[(org, year, number)] = total
    thresholds = thresholds_by_year(zone, {y for year in years for y in (year - 2, year - 1, year)})
    changed = defaultdict(list)
    for pk, org, year, *rest in rows:
        if year not in years:
            continue
        levels = tuple(
            level_at((year, n), functools.partial(_total, totals, org), thresholds)
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
