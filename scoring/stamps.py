"""Scoring's tables in the zone stamp (orgs.stamps): every write to them moves a listed
timestamp (Scorecard.updated_at with every write to the points, RuleSet.updated_at with its
items, services.steps.save_step for periods, rectifications and year states) or adds rows."""

from orgs import stamps

from .models import (
    AnnualResult,
    Notice,
    Period,
    Rectification,
    RuleSet,
    Scorecard,
    Warning,
    YearState,
)


def of_zone_warnings() -> str:
    """A condition for rows that hang off a warning of one of the zone's notices."""
    warnings, notices = Warning._meta.db_table, Notice._meta.db_table
    return (
        f"t.warning_id IN (SELECT w.id FROM {warnings} w JOIN {notices} n ON n.id = w.notice_id "
        "WHERE n.zone_id = %s)"
    )


def register() -> None:
    stamps.register(
        stamps.Source(RuleSet, stamps.in_zone(), ("updated_at",)),
        stamps.Source(Scorecard, stamps.in_zone(), ("updated_at",)),
        stamps.Source(Period, stamps.in_zone(), ("changed_at",)),
        stamps.Source(Notice, stamps.in_zone()),
        stamps.Source(Rectification, of_zone_warnings(), ("changed_at", "submitted_at")),
        stamps.Source(YearState, stamps.in_zone(), ("changed_at",)),
        stamps.Source(AnnualResult, stamps.in_zone()),
    )
