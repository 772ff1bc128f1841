"""What the records app adds to scoring's pages, registered in RecordsConfig.ready(): scoring
knows nothing of records, as it knows nothing of the dashboard."""

from django.urls import reverse

from orgs import access

from .appeals import appeal_panel
from .models import Appeal, WorkRecord


def cell_evidence(org_ids, year, month):
    """The grid's cells: how many work records back each, how many were awarded, and the
    organization's month review that opens them (one query)."""
    return {
        (org, item): (n, awarded, reverse("records:review", args=[org, year, month]))
        for (org, item), (n, awarded) in WorkRecord.objects.cell_counts(
            org_ids, year, month
        ).items()
    }


def status_panel(organization, user, today, warned):
    """The organization's appeals, and the warnings it may still appeal. Only an organization
    that was ever warned can have any: the others' page pays no query for it."""
    rows = appeal_panel(organization, today) if warned else []
    if not rows:
        return None
    return "records/_appeal_panel.html", {
        "rows": rows,
        "mine": access.is_secretary_of(user, organization),
    }


def notice_aside(notice, user):
    """The outcome of appeals against the notice, of the organizations the user may see."""
    appeals = list(
        access.in_scope(
            user,
            Appeal.objects.filter(warning__notice=notice).select_related(
                "warning__organization", "warning__notice"
            ),
        )
    )
    return ("records/_notice_appeals.html", {"appeals": appeals}) if appeals else None


def register_stamps():
    """Records and appeals in the zone stamp (orgs.stamps): the grid's evidence counts and the
    dashboard's review panel move with them; every state change is a save_step."""
    from orgs import stamps
    from scoring.stamps import of_zone_warnings

    stamps.register(
        stamps.Source(
            WorkRecord, stamps.of_zone_organizations(), ("created_at", "submitted_at", "changed_at")
        ),
        stamps.Source(Appeal, of_zone_warnings(), ("created_at", "changed_at")),
    )
