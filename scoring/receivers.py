"""How scoring answers the registry's signals (orgs.signals)."""

from typing import Any

from django.dispatch import receiver

from orgs.models import Organization, Zone
from orgs.services import Refused
from orgs.signals import after_zone_move, before_zone_move

from .models import PointEntry, Scorecard, YearState
from .services.scorecards import refresh_levels


@receiver(before_zone_move)
def refuse_moving_unfinished_years(
    sender: Any, organization: Organization, to_zone: Zone, **kwargs: Any
) -> None:
    """Points recorded against one zone's rule set cannot join another zone's grid and
    grading halfway: an organization moves once every year it has points in is finalized."""
    moved = Organization.objects.in_subtree(organization).values("pk")
    years = set(
        PointEntry.objects.filter(organization__in=moved).values_list("year", flat=True).distinct()
    )
    finalized = set(
        YearState.objects.filter(
            zone=organization.zone_id, year__in=years, finalized=True
        ).values_list("year", flat=True)
    )
    open_years = sorted(years - finalized)
    if open_years:
        shown = "、".join(str(y) for y in open_years)
        raise Refused(
            f"该组织（或其下级组织）在 {shown} 年度已有积分，而{organization.zone.name}尚未对该年度定级；"
            "请在定级后再转移，或在年初还没有积分时转移"
        )


@receiver(after_zone_move)
def relevel_moved_organizations(sender: Any, organizations: list[int], **kwargs: Any) -> None:
    """Their scorecards now belong to the new zone, and their past quarters are read under its
    thresholds (next year's first quarter looks back to them)."""
    cards = Scorecard.objects.filter(organization__in=organizations)
    zone_id = Organization.objects.filter(pk=organizations[0]).values_list("zone", flat=True)[0]
    cards.update(zone=zone_id)
    years = set(cards.values_list("year", flat=True))
    if years:
        refresh_levels(zone=Zone.objects.get(pk=zone_id), years=years, org_ids=organizations)
