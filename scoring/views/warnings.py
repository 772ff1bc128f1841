"""按季预警: a quarter's warnings (live, or frozen once published), publishing the notice, the
printable notice and its Excel sheet."""

from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from orgs import access, stamps
from orgs.forms import OrganizationFilterForm, posted
from orgs.models import Organization
from partybuild import fragments

from .. import rules
from ..forms import LevelFilterForm, PublishForm
from ..models import Level, Notice, Rectification, RuleSet, Warning
from ..services.notices import next_notice_number, publish_notice
from ..services.steps import Refused
from ..sheets import notice as notice_sheet
from ..standings import (
    ZERO,
    level_counts,
    notice_rows,
    quarter_history,
    quarter_standings,
    recent_quarters,
    thresholds_by_year,
    with_quarter,
)

PAGE_SIZE = 50


def default_quarter(today):
    """The last quarter that has ended."""
    year, quarter = today.year, rules.quarter_of(today.month)
    return rules.previous_quarters(year, quarter, 1)[0]


def check_quarter(zone, year, quarter):
    if not 1 <= quarter <= 4:
        raise Http404("季度应为 1–4。")
    rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
    if rule_set is None:
        raise Http404(f"{year} 年度尚未建立评分细则。")
    today = timezone.localdate()
    if (year, quarter) > (today.year, rules.quarter_of(today.month)):
        raise Http404(f"{year}年第{quarter}季度尚未开始。")
    return rule_set


@access.reader_required
def warnings_index(request):
    today = timezone.localdate()
    year, quarter = default_quarter(today)
    rule_sets = RuleSet.objects.filter(zone=request.zone)
    if not rule_sets.filter(year=year).exists():
        # The system's first quarter, or a gap in the rule sets: the latest year that has begun.
        latest = rule_sets.filter(year__lte=today.year).first()
        if latest is None:
            messages.info(request, "还没有评分细则，暂无预警。")
            return redirect("scoring:rules")
        year = latest.year
        quarter = rules.quarter_of(today.month) if year == today.year else 4
    return redirect("scoring:warnings", year, quarter)


@access.reader_required
def warnings_page(request, year, quarter):
    content = fragments.content(
        request,
        "warnings",
        stamps.zone_parts(request, year, quarter),
        "scoring/_warnings_content.html",
        lambda: warnings_context(request, year, quarter),
    )
    return render(
        request, "scoring/warnings.html", {"year": year, "quarter": quarter, "content": content}
    )


def warnings_context(request, year, quarter):
    """What the quarter's warnings page shows: live levels, or the notice as published."""
    zone = request.zone
    rule_set = check_quarter(zone, year, quarter)
    notice = Notice.objects.filter(zone=zone, year=year, quarter=quarter).first()
    scope = access.visible_organizations(request.user).in_zone(zone).scored()
    org_filter = OrganizationFilterForm(
        request.GET or None, committees=scope.committees(), only=("sector", "committee", "tier")
    )
    level_filter = LevelFilterForm(request.GET or None)
    organizations = org_filter.by_tier(org_filter.narrow(scope), year)
    level = level_filter.chosen()
    today = timezone.localdate()
    running = notice is None and today <= rules.quarter_end(year, quarter)
    # The running quarter is progress: who is behind the share of the line its ended months
    # should have reached (预估), never a warning level.
    line = rules.pro_rated_line(
        rule_set.warning_threshold, rules.months_ended(year, quarter, today)
    )
    page: Page[Any]  # frozen warnings, or live rows
    if running:
        behind = with_quarter(zone, organizations, year, quarter).filter(q_total__lt=line)
        counts = {}
        listed = behind.order_by("q_total", "path").values("pk", "q_total", "q_entries")
        page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = [
            {
                "organization_id": row["pk"],
                "total": row["q_total"],
                "level": None,
                "had_entries": row["q_entries"] > 0,
                "rectification": None,
                "overdue": False,
            }
            for row in page
        ]
        scored = organizations.count()
    elif notice:
        frozen = Warning.objects.filter(notice=notice, organization__in=organizations.values("pk"))
        counts = dict(frozen.order_by().values_list("level").annotate(n=Count("pk")))
        rows = frozen.filter(level=level) if level else frozen
        page = Paginator(rows.select_related("rectification"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        entries = [
            {
                "organization_id": w.organization_id,
                "total": w.total,
                "level": w.level,
                "had_entries": w.had_entries,
                "rectification": w.rectification,
                "overdue": w.rectification.is_overdue(timezone.localdate()),
            }
            for w in page
        ]
        chosen = org_filter.values()
        filtered = any(chosen[name] for name in ("sector", "committee", "tier"))
        # The notice counted the whole zone as published; a narrower view counts its own.
        narrowed = filtered or not request.user.is_office
        scored = organizations.count() if narrowed else notice.scored_count
    else:
        warned = with_quarter(zone, organizations, year, quarter).filter(q_level__gt=0)
        counts = dict(warned.order_by().values_list("q_level").annotate(n=Count("pk")))
        if level:
            warned = warned.filter(q_level=level)
        listed = warned.order_by("-q_level", "q_total", "path").values(
            "pk", "q_total", "q_level", "q_entries"
        )
        paginator = Paginator(listed, PAGE_SIZE)
        paginator.count = counts.get(level, 0) if level else sum(counts.values())
        page = paginator.get_page(request.GET.get("page"))
        entries = [
            {
                "organization_id": row["pk"],
                "total": row["q_total"],
                "level": row["q_level"],
                "had_entries": row["q_entries"] > 0,
                "rectification": None,
                "overdue": False,
            }
            for row in page
        ]
        scored = organizations.count()
    rows = _page_rows(entries, year, quarter, rule_set, line if running else None)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "year": year,
        "quarter": quarter,
        "rule_set": rule_set,
        "notice": notice,
        "provisional": running,
        "line": line,
        "behind_count": page.paginator.count if running else 0,
        "can_publish": notice is None and today > rules.quarter_end(year, quarter),
        "counts": [(lvl, counts.get(lvl.value, 0)) for lvl in reversed(Level)],
        "warned_count": sum(counts.values()),
        "scored": scored,
        "rows": rows,
        "page": page,
        "org_filter": org_filter,
        "level_filter": level_filter,
        "query": query.urlencode(),
        "quarters": _quarter_links(zone, today),
        "overdue": Rectification.objects.filter(
            warning__notice=notice, warning__organization__in=organizations.values("pk")
        )
        .overdue(today)
        .count()
        if notice
        else 0,
        "today": today,
    }


def _page_rows(entries, year, quarter, rule_set, line=None):
    """Organization details and the last four quarters for the rows on the page; the gap is
    to the warning line, or to the pro-rated `line` of a running quarter."""
    org_ids = [e["organization_id"] for e in entries]
    organizations = {
        o.pk: o
        for o in Organization.objects.filter(pk__in=org_ids).with_tier(year).with_committee()
    }
    periods = recent_quarters(year, quarter, 4)
    history = quarter_history(org_ids, periods)
    thresholds = thresholds_by_year(rule_set.zone_id, (y for y, _ in periods))
    rows = []
    for entry in entries:
        org_id = entry["organization_id"]
        trend = []
        for y, q in periods:
            total = history.get((org_id, y, q))
            th = thresholds.get(y)
            trend.append(
                {
                    "label": f"{y % 100:02d}Q{q}",
                    "total": total,
                    "warned": th is not None and rules.is_warned(total or ZERO, th),
                    "active": th is not None,
                }
            )
        rows.append(
            {
                **entry,
                "org": organizations[org_id],
                "gap": (rule_set.warning_threshold if line is None else line) - entry["total"],
                "level_label": Level(entry["level"]).label if entry["level"] else "",
                "trend": trend,
            }
        )
    return rows


def _quarter_links(zone, today):
    years = RuleSet.objects.filter(zone=zone).order_by("year").values_list("year", flat=True)
    current = (today.year, rules.quarter_of(today.month))
    return [(y, q) for y in years for q in range(1, 5) if (y, q) <= current]


@access.office_required
def publish(request, year, quarter):
    zone = request.zone
    rule_set = check_quarter(zone, year, quarter)
    if Notice.objects.filter(zone=zone, year=year, quarter=quarter).exists():
        messages.info(request, f"{year}年第{quarter}季度的预警通报已经发布。")
        return redirect("scoring:warnings", year, quarter)
    standings = quarter_standings(zone, Organization.objects.in_zone(zone).scored(), year, quarter)
    counts = level_counts(standings.values())
    initial = {
        "number": next_notice_number(zone, timezone.localdate().year),
        "published_on": timezone.localdate(),
        "title": f"关于{year}年第{quarter}季度基层党组织积分预警情况的通报",
        "text": default_notice_text(year, quarter, rule_set, counts, len(standings)),
    }
    form = PublishForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notice = publish_notice(
                zone=zone, year=year, quarter=quarter, user=request.user, **form.cleaned_data
            )
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                f"已发布 {notice.label}，{notice.warnings.count()} 个组织已收到整改任务；"
                f"{year}年第{quarter}季度积分已冻结。",
            )
            return redirect("scoring:warnings", year, quarter)
    return render(
        request,
        "scoring/publish.html",
        {
            "form": form,
            "year": year,
            "quarter": quarter,
            "counts": [(lvl, counts.get(lvl.value, 0)) for lvl in reversed(Level)],
            "scored": len(standings),
        },
    )


def default_notice_text(year, quarter, rule_set, counts, scored):
    warned = sum(counts.values())
    return (
        f"根据《{rule_set.name}》，现将{year}年第{quarter}季度基层党组织积分情况通报如下：\n\n"
        f"本季度参评党组织 {scored} 个，季度积分低于 {rule_set.warning_threshold:.0f} 分的 {warned} 个，"
        f"其中三级（红色）预警 {counts.get(Level.RED, 0)} 个、二级（橙色）预警 {counts.get(Level.ORANGE, 0)} 个、"
        f"一级（黄色）预警 {counts.get(Level.YELLOW, 0)} 个。\n\n"
        f"请被预警的党组织认真查摆问题、制定整改措施，在规定期限内（黄色预警 {rule_set.yellow_days} 天，"
        f"橙色、红色预警 {rule_set.orange_days} 天）通过系统提交整改报告。党建办将对整改情况跟踪问效，"
        "以查促改，确保基层党建工作提质增效。"
    )


def _published(zone, year, quarter):
    notice = Notice.objects.filter(zone=zone, year=year, quarter=quarter).first()
    if notice is None:
        raise Http404(f"{year}年第{quarter}季度的预警通报尚未发布。")
    return notice


def _visible_warnings(request, notice):
    return access.in_scope(request.user, notice.warnings.all())


# What apps built on scoring show beside a published notice, never in it: functions of
# (notice, user) answering (template, context) or None. The appeals (records app) add one.
NOTICE_ASIDES: list[Callable[..., tuple[str, dict] | None]] = []


@access.zone_required
def notice_print(request, year, quarter):
    """The printable notice: whole for the office and the readers above it, an excerpt of
    their own organizations for committee viewers and secretaries."""
    notice = _published(request.zone, year, quarter)
    rows = notice_rows(notice, _visible_warnings(request, notice))
    groups = [(level, [r for r in rows if r.level == level]) for level in reversed(Level)]
    # A committee viewer (or a secretary) sees only their organizations: an excerpt, which the
    # page must say, not a notice that looks whole.
    excerpt = None if request.user.is_office or request.user.reads_across_zones else request.user
    root = request.zone.root
    return render(
        request,
        "scoring/notice_print.html",
        {
            "notice": notice,
            "groups": groups,
            "rows_shown": len(rows),
            "root": root,
            "rule_set": RuleSet.objects.get(zone=request.zone, year=year),
            "excerpt": excerpt,
            "warned_total": notice.warnings.count(),
            "asides": [aside for add in NOTICE_ASIDES if (aside := add(notice, request.user))],
            # Back to the quarter's list for those who read it; secretaries and instructors
            # came from their own pages.
            "back": (
                reverse("scoring:warnings", args=[year, quarter])
                if access.is_reader(request.user)
                else reverse("home")
            ),
        },
    )


@access.reader_required
def notice_export(request, year, quarter):
    notice = _published(request.zone, year, quarter)
    data = notice_sheet.write(notice, _visible_warnings(request, notice))
    return FileResponse(
        BytesIO(data),
        as_attachment=True,
        filename=f"{year}年第{quarter}季度预警通报{notice.label}.xlsx",
    )
