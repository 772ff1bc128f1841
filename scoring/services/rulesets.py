"""评分细则: creating a year's rule set and editing it."""

from typing import Any

from django.db import transaction

from orgs.models import Zone

from .. import catalogue
from ..models import Item, MajorItem, RuleSet
from .scorecards import refresh_levels

# The numbers a rule set holds besides its items, copied when a year is copied.
RULE_SET_FIELDS = [
    "point_step",
    "warning_threshold",
    "orange_threshold",
    "red_threshold",
    "first_grade_min",
    "second_grade_min",
    "close_day",
    "yellow_days",
    "orange_days",
    "red_days",
    "coefficient_first",
    "coefficient_second",
    "coefficient_third",
    "subsidy_first",
    "subsidy_second",
    "subsidy_third",
    "appeal_days",
]


def rule_set_name(year: int) -> str:
    return f"{year}年度基层党组织积分制管理评分细则"


@transaction.atomic
def create_rule_set(
    *, zone: Zone, year: int, user: Any, copy_from: RuleSet | None = None
) -> RuleSet:
    """Create the zone's rule set of `year`: the default catalogue, or a copy of `copy_from`
    (last year's, or another zone's)."""
    rule_set = RuleSet(zone=zone, year=year, name=rule_set_name(year))
    if copy_from is not None:
        for name in RULE_SET_FIELDS:
            setattr(rule_set, name, getattr(copy_from, name))
    rule_set._history_user = user  # type: ignore[attr-defined]
    rule_set._change_reason = (  # type: ignore[attr-defined]
        _copied(copy_from, zone) if copy_from else "按默认细则创建"
    )
    rule_set.save()
    if copy_from is None:
        source = [
            (
                MajorItem(code=code, name=name, column=column),
                [
                    Item(code=c, name=n, quarterly_cap=cap, kind=kind, veto=veto, standard=std)
                    for c, n, cap, kind, veto, std in items
                ],
            )
            for code, name, column, items in catalogue.DEFAULT
        ]
    else:
        source = [
            (
                MajorItem(code=m.code, name=m.name, column=m.column),
                [
                    Item(
                        code=i.code,
                        name=i.name,
                        quarterly_cap=i.quarterly_cap,
                        kind=i.kind,
                        veto=i.veto,
                        standard=i.standard,
                    )
                    for i in m.items.all()
                ],
            )
            for m in copy_from.majors.prefetch_related("items")
        ]
    position = 0
    for major_position, (major, items) in enumerate(source, start=1):
        major.rule_set = rule_set
        major.position = major_position
        major.save()
        for item in items:
            position += 1
            item.rule_set, item.major, item.position = rule_set, major, position
        Item.objects.bulk_create(items)
    refresh_levels(zone=zone, years={year, year + 1})
    return rule_set


def _copied(source: RuleSet, zone: Zone) -> str:
    if source.zone_id == zone.pk:
        return f"复制 {source.year} 年度细则"
    return f"复制{source.zone.name} {source.year} 年度细则"


@transaction.atomic
def update_rule_set(*, form: Any, items: Any, reason: str, user: Any) -> RuleSet:
    """Save a validated rule-set form and its item formset, every change with `reason` in the
    history, and recompute the warning levels the new thresholds give: this year's and next
    year's first quarters, which look back to this one."""
    rule_set = form.instance
    for obj in [rule_set, *(f.instance for f in items.forms if f.has_changed())]:
        obj._history_user = user
        obj._change_reason = reason or "修改细则"
    # Saved even when only items changed: its modification time stamps cached pages.
    form.save()
    items.save()
    refresh_levels(zone=rule_set.zone, years={rule_set.year, rule_set.year + 1})
    return rule_set
