"""Queryset methods with domain names. Aggregation happens here, in the database."""

from django.db import models
from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, Sum, Window
from django.db.models.functions import Lag

from . import rules

# The quarter (1–4) of a row's month, computed in SQL.
QUARTER = ExpressionWrapper((F("month") + 2) / 3, output_field=IntegerField())


class PointEntryQuerySet(models.QuerySet):
    def recorded(self):
        return self.filter(points__isnull=False)

    def in_quarter(self, year, quarter):
        return self.filter(year=year, month__in=rules.months_of(quarter))

    def quarter_usage(self, org_ids, year, quarter):
        """Per (organization, item, month): points recorded in the quarter, for cap checks."""
        return (
            self.recorded()
            .in_quarter(year, quarter)
            .filter(organization_id__in=org_ids)
            .values_list("organization_id", "item_id", "month", "points")
        )

    def scorecard_sums(self, org_ids, years):
        """The Scorecard figures recomputed from the raw rows: one row per (organization,
        year) among `org_ids` × `years` that has entries."""
        recorded = Q(points__isnull=False)

        def quarter(number):
            return recorded & Q(month__in=rules.months_of(number))

        return (
            self.filter(organization_id__in=org_ids, year__in=years)
            .order_by()
            .values("organization_id", "year")
            .annotate(
                **{f"q{n}": Sum("points", filter=quarter(n), default=0) for n in range(1, 5)},
                **{f"e{n}": Count("pk", filter=quarter(n)) for n in range(1, 5)},
                bonus=Sum("points", filter=recorded & Q(item__kind=rules.FEATURED), default=0),
                deduction=Sum("points", filter=recorded & Q(item__kind=rules.DEDUCTION), default=0),
                total=Sum("points", filter=recorded, default=0),
                vetoes=Count("pk", filter=recorded & Q(item__veto=True, points__lt=0)),
            )
        )

    def month_totals(self, org_ids, year, months):
        """{(organization_id, month): total} for the grid and the record sheet."""
        rows = (
            self.recorded()
            .filter(organization_id__in=org_ids, year=year, month__in=months)
            .order_by()
            .values_list("organization_id", "month")
            .annotate(total=Sum("points"))
        )
        return {(org, month): total for org, month, total in rows}

    def peak_quarter(self, deduction):
        """The largest quarterly sum (by magnitude) any organization reached in these rows."""
        sums = (
            self.recorded()
            .order_by()
            .annotate(quarter=QUARTER)
            .values("organization_id", "year", "quarter")
            .annotate(total=Sum("points"))
            .order_by("total" if deduction else "-total")
            .values_list("total", flat=True)[:1]
        )
        return abs(sums[0]) if sums else 0

    def column_sums(self, organization, year):
        """Per month and record-sheet column (or item kind for bonus/deduction) of one year."""
        return (
            self.recorded()
            .filter(organization=organization, year=year)
            .order_by()
            .values("month", "item__major__column", "item__kind")
            .annotate(points=Sum("points"))
        )


def with_previous_points(history):
    """Annotate each historical PointEntry row with `old_points`, the value before it."""
    return history.annotate(
        old_points=Window(
            Lag("points"),
            partition_by=[F("id")],
            order_by=[F("history_date").asc(), F("history_id").asc()],
        )
    )
