"""年度综评定级: finalizing a year stores every organization's GradeRow; reopening discards
them; next year's tiers follow the grades, with overrides that need a reason."""

from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from orgs.models import TierAssignment, TierSource, Zone

from ..grades import live_rows
from ..models import AnnualResult, Grade, RuleSet, YearState
from .periods import close_month
from .steps import Refused, locked_or_new, save_step


@transaction.atomic
def finalize_year(*, zone: Zone, year: int, user: Any) -> YearState:
    """定级: close every month of the zone's year and store each organization's year as it
    stands, with its grade, ranks, proposed tier and use of results."""
    rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
    if rule_set is None:
        raise Refused(f"{year} 年度尚未建立评分细则")
    today = timezone.localdate()
    if today.year <= year:
        raise Refused(f"{year} 年度尚未结束，不能定级")
    state = locked_or_new(YearState, zone=zone, year=year)
    if state.finalized:
        raise Refused(f"{year} 年度已经定级")
    for month in range(1, 13):
        close_month(zone=zone, year=year, month=month, user=user)
    results = (row.as_result(zone, year) for row in live_rows(rule_set, today=today))
    while batch := list(islice(results, 2000)):
        AnnualResult.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        # Fresh statistics let the grade sheet walk the new rows in rank order at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scoring_annualresult")
    state.finalized, state.tiers_confirmed = True, False
    return save_step(state, user, "年度定级")


@transaction.atomic
def reopen_year(*, zone: Zone, year: int, user: Any, reason: str) -> YearState:
    """Undo 定级 so that the year's points can be corrected; the results, overrides included,
    are discarded and computed afresh at the next finalization. Not once tiers are confirmed."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("撤销定级必须填写原因")
    state = locked_or_new(YearState, zone=zone, year=year)
    if not state.finalized:
        raise Refused(f"{year} 年度尚未定级")
    if state.tiers_confirmed:
        # Next year runs on the confirmed tiers; regrading would stack a second set of them.
        raise Refused(
            f"{year + 1} 年度分类已按本次定级确认，不能再撤销定级；"
            "如需调整个别组织的分类，请在组织页面调整并填写原因"
        )
    AnnualResult.objects.filter(zone=zone, year=year).delete()
    state.finalized, state.tiers_confirmed = False, False
    return save_step(state, user, f"撤销定级：{reason}")


@transaction.atomic
def override_tier(*, result: AnnualResult, tier: str, reason: str, user: Any) -> AnnualResult:
    """Set (or clear, with tier "") the tier an organization gets next year instead of the
    proposal; a change needs a reason."""
    state = locked_or_new(YearState, zone=result.zone, year=result.year)
    if state.tiers_confirmed:
        raise Refused(f"{result.year} 年度的下年分类已确认，请在组织页面单独调整分类")
    reason = (reason or "").strip()
    if tier and tier != result.proposed_tier and not reason:
        raise Refused("调整建议类别必须填写原因")
    locked = AnnualResult.objects.select_for_update().get(pk=result.pk)
    if tier == locked.proposed_tier or not tier:
        locked.override_tier, locked.override_reason, locked.override_by = "", "", None
    else:
        locked.override_tier, locked.override_reason, locked.override_by = tier, reason, user
    locked.save(update_fields=["override_tier", "override_reason", "override_by"])
    return locked


@transaction.atomic
def confirm_tiers(*, zone: Zone, year: int, user: Any) -> int:
    """Make every finalized result's next tier (proposal or override) next year's tier, except
    where next year's tier was already set by hand on the organization's page: that decision
    stands. Returns how many organizations kept such a tier."""
    state = locked_or_new(YearState, zone=zone, year=year)
    if not state.finalized:
        raise Refused(f"{year} 年度尚未定级，不能确认下年分类")
    if state.tiers_confirmed:
        raise Refused(f"{year} 年度的下年分类已经确认")
    results = AnnualResult.objects.filter(zone=zone, year=year)
    already_set = TierAssignment.objects.filter(
        year=year + 1, organization__in=results.values("organization_id")
    ).values("organization_id")
    kept = results.filter(organization_id__in=already_set).count()
    now = timezone.now()
    TierAssignment.objects.bulk_create(
        (
            TierAssignment(
                organization_id=r.organization_id,
                zone=zone,
                year=year + 1,
                tier=r.next_tier,
                source=TierSource.GRADING,
                reason=(
                    f"{year}年度定级为{Grade(r.grade).label}，建议{r.proposed_tier}类，调整为{r.override_tier}类：{r.override_reason}"
                    if r.override_tier
                    else f"{year}年度定级为{Grade(r.grade).label}，确认为{r.proposed_tier}类"
                ),
                set_by=user,
                set_at=now,
            )
            for r in results.exclude(organization_id__in=already_set).iterator(chunk_size=5000)
        ),
        batch_size=2000,
    )
    state.tiers_confirmed = True
    save_step(state, user, f"确认{year + 1}年度分类")
    return kept
