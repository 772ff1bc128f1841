"""The dashboard's panel of what waits for the office: submitted work records by month and
open appeals, of the organizations the dashboard shows. Two queries."""

from django.db.models import Count, Q

from .models import Appeal, AppealState, State, WorkRecord


def review_panel(organizations):
    ids = organizations.values("pk")
    months = (
        WorkRecord.objects.filter(organization__in=ids, state=State.SUBMITTED)
        .values("year", "month")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(late=True)))
        .order_by("-year", "-month")
    )
    return {
        "months": list(months),
        "appeals": Appeal.objects.filter(
            warning__organization__in=ids, state=AppealState.OPEN
        ).count(),
    }
