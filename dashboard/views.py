"""工作台: the home of a zone's office and committee viewers (a viewer sees their subtree), the
month's entry page where the office marks organizations done, and everyone's notices."""

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from orgs import access, stamps
from orgs.forms import OrganizationFilterForm
from orgs.models import Organization
from partybuild import fragments
from records.panel import review_panel
from scoring.models import Grade, Level, Period, RuleSet
from scoring.services.steps import Refused

from . import charts, completeness, figures
from .completeness import COMPLETE, NOT_STARTED, PARTIAL, YearCompleteness
from .forms import MarkForm
from .models import CompletionMark, Notification
from .services import mark_done, unmark_done

MAP_PAGE_SIZE = 50
FILTERS = ("committee", "sector", "tier")
MONTHS = range(1, 13)


def _scope(request):
    """The organizations in view: the zone's (or a committee viewer's subtree), scored."""
    return access.visible_organizations(request.user).in_zone(request.zone).scored()


def _filtered(request, scope, year):
    form = OrganizationFilterForm(request.GET or None, committees=scope.committees(), only=FILTERS)
    return form, form.by_tier(form.narrow(scope), year)


def _filter_query(form):
    """The chosen filters as a query string, for links to the pages that take the same."""
    chosen = form.values()
    pairs = {name: chosen[name] for name in FILTERS if chosen.get(name)}
    if pairs.get("committee"):
        pairs["committee"] = pairs["committee"].pk
    return urlencode(pairs)


def _entry_links(user, year, month):
    """Where the user acts on a missing organization, as a function of its row and committee:
    the office enters it in the month grid narrowed to it; a committee viewer, who cannot
    enter points, reads its record sheet."""
    if user.is_office:
        grid = reverse("scoring:grid", args=[year, month])

        def link(org, committee):
            query = {"q": org["code"], **({"committee": committee.pk} if committee else {})}
            return f"{grid}?{urlencode(query)}"

        return link
    return lambda org, committee: reverse("scoring:sheet", args=[org["pk"], year])


def _grouped(rows, committees):
    """[(committee, [rows])] in tree order; rows carry "path"."""
    prefix = completeness.COMMITTEE_PREFIX
    return [
        (committees.get(path), list(group))
        for path, group in groupby(rows, key=lambda r: r["path"][:prefix])
    ]


def _percent(share):
    return None if share is None else round(share * 100, 1)


@access.reader_required
def dashboard(request):
    today = timezone.localdate()
    rule_sets = figures.zone_rule_sets(request.zone, today)
    at = figures.working_month(request.zone, today, rule_sets)
    if at is None:
        return render(request, "dashboard/no_rules.html")
    content = fragments.content(
        request,
        "dashboard",
        stamps.zone_parts(request, at),
        "dashboard/_content.html",
        lambda: dashboard_context(request, rule_sets, at),
    )
    return render(request, "dashboard/dashboard.html", {"content": content})


def dashboard_context(request, rule_sets, at):
    """What the office's dashboard shows for the working month `at` (year, month)."""
    zone, user = request.zone, request.user
    today, now = timezone.localdate(), timezone.now()
    year, month = at
    rule_set = rule_sets[year]
    scope = _scope(request)
    form, organizations = _filtered(request, scope, year)
    committees = {c.path: c for c in scope.committees()}
    names = list(organizations.values("pk", "code", "name", "path"))
    state = YearCompleteness(organizations, rule_set, now=now)
    this_month = state.month_progress(month)
    not_done = set(this_month[PARTIAL]) | set(this_month[NOT_STARTED])
    deadline = rule_set.close_deadline(month)
    link = _entry_links(user, year, month)
    missing = [
        {
            **row,
            "entered": state.entered.get((row["pk"], month), 0),
            "link": link(row, committees.get(row["path"][: completeness.COMMITTEE_PREFIX])),
        }
        for row in names
        if row["pk"] in not_done
    ]
    whole, by_committee = state.rates()
    by_month = state.by_month()
    committee_rates = [
        (committees.get(path), rate, _percent(rate.share)) for path, rate in by_committee.items()
    ]
    nonce = fragments.NONCE_MARKER
    month_labels = tuple(f"{m}月" for m in MONTHS)
    month_chart = charts.svg(
        charts.stacked_months,
        f"{year}年各月录入情况（组织数）",
        month_labels,
        tuple(
            (completeness.STATES[s], tuple(by_month[m][s] for m in MONTHS))
            for s in completeness.STATES
        ),
        nonce=nonce,
    )
    rates_chart = charts.svg(
        charts.horizontal_shares,
        "各党委按时录完率（已到关账日的月份）",
        tuple(c.short_name if c else "—" for c, _, _ in committee_rates),
        tuple(p for _, _, p in committee_rates),
        nonce=nonce,
    )
    map_page = Paginator(names, MAP_PAGE_SIZE).get_page(request.GET.get("page"))
    states = state.states(row["pk"] for row in map_page)
    map_rows = [
        {
            **row,
            "cells": [
                (s, completeness.GLYPHS[s], completeness.STATES[s]) for s in states[row["pk"]]
            ],
        }
        for row in map_page
    ]
    return {
        "year": year,
        "month": month,
        "today": today,
        "rule_set": rule_set,
        "form": form,
        "filters": _filter_query(form),
        "scored": len(names),
        "routine": state.routine,
        "deadline": deadline,
        "days_left": (deadline - today).days,
        "days_over": (today - deadline).days,
        "month_closed": Period.objects.filter(
            zone=zone, year=year, month=month, closed=True
        ).exists(),
        "progress": [
            (key, label, len(this_month[key])) for key, label in completeness.PROGRESS.items()
        ],
        "missing_groups": _grouped(missing, committees),
        "missing_count": len(missing),
        "whole": whole,
        "whole_percent": _percent(whole.share),
        "committee_rates": committee_rates,
        "month_table": [(m, [by_month[m][s] for s in completeness.STATES]) for m in MONTHS],
        "states": [(k, label, completeness.GLYPHS[k]) for k, label in completeness.STATES.items()],
        "month_chart": month_chart,
        "rates_chart": rates_chart if committee_rates else None,
        "map_rows": map_rows,
        "map_page": map_page,
        "map_query": _map_query(request),
        "months": MONTHS,
        **_standing_context(zone, organizations, today, rule_sets, nonce),
        **_terms_context(organizations, today),
        "review": review_panel(organizations),  # records (issue 14)
    }


TERMS_SHOWN = 10


def _terms_context(organizations, today):
    """届满提醒: the organizations whose term ends within three months (or has ended), the
    nearest first, for the office to prepare their elections (换届)."""
    due = organizations.term_ending(today).order_by("term_ends_on", "path")
    return {
        "terms": list(due.only("pk", "code", "name", "term_ends_on")[:TERMS_SHOWN]),
        "terms_count": due.count(),
    }


def _map_query(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _standing_context(zone, organizations, today, rule_sets, nonce):
    """Warnings, rectifications and the zone at a glance."""
    this_year = rule_sets.get(today.year)
    context: dict[str, Any] = {}
    if this_year is not None:
        context["quarter"] = figures.quarter_progress(organizations, this_year, today)
        context["extremes"] = figures.year_extremes(organizations, today.year)
    notice = figures.last_notice(zone)
    if notice is not None:
        context["notice"] = notice
        context["warning_counts"] = figures.warning_counts(notice, organizations)
        context["warned"] = sum(n for _, n in context["warning_counts"])
    context["tasks"] = figures.task_counts(organizations, today)
    context["tiers"] = figures.tier_by_sector(organizations, today.year)
    grades = figures.grades_by_sector(zone, organizations, rule_sets.get(today.year - 1))
    context["grades"] = grades
    if grades is not None and grades.table["rows"]:
        context["grades_chart"] = charts.svg(
            charts.stacked_groups,
            f"{grades.year}年度等次（按类型）{'' if grades.finalized else '（预估）'}",
            tuple(label for label, _, _ in grades.table["rows"]),
            tuple(
                (str(g.label), tuple(cells[i] for _, cells, _ in grades.table["rows"]))
                for i, g in enumerate(Grade)
            ),
            ("#2e7d32", "#1565c0", "#c62828"),
            nonce=nonce,
        )
    averages = figures.quarter_averages(organizations, today, rule_sets)
    context["averages"] = averages
    if this_year is not None and any(a.average is not None for a in averages):
        context["averages_chart"] = charts.svg(
            charts.trend,
            "近八个季度平均得分",
            tuple(a.short_label for a in averages),
            tuple(None if a.average is None else round(float(a.average), 1) for a in averages),
            tuple(
                float(context["quarter"].line if a.running else this_year.warning_threshold)
                for a in averages
            ),
            "预警线（本季度按进度折算）",
            nonce=nonce,
        )
    context["levels"] = list(reversed(Level))
    return context


def _month_rule_set(zone, year, month):
    if not 1 <= month <= 12:
        raise Http404("月份应为 1–12。")
    rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
    if rule_set is None:
        raise Http404(f"{year} 年度尚未建立评分细则。")
    return rule_set


@access.reader_required
def month_page(request, year, month):
    """One month of the organizations in view: who has entered it in full, who partly, who
    not at all; the office marks organizations done here (or withdraws a mark)."""
    zone, user = request.zone, request.user
    rule_set = _month_rule_set(zone, year, month)
    today = timezone.localdate()
    scope = _scope(request)
    form, organizations = _filtered(request, scope, year)
    committees = {c.path: c for c in scope.committees()}
    state = YearCompleteness(organizations, rule_set)
    marks = {
        m.organization_id: m
        for m in CompletionMark.objects.filter(
            organization__in=organizations.values("pk"), year=year, month=month
        ).select_related("marked_by")
    }
    link = _entry_links(user, year, month)
    rows = []
    for row in organizations.values("pk", "code", "name", "path"):
        key = (row["pk"], month)
        committee = committees.get(row["path"][: completeness.COMMITTEE_PREFIX])
        rows.append(
            {
                **row,
                "entered": state.entered.get(key, 0),
                "progress": state.progress(row["pk"], month),
                "state": state.state(row["pk"], month),
                "mark": marks.get(row["pk"]),
                "link": link(row, committee),
            }
        )
    begun = (year, month) <= (today.year, today.month)
    return render(
        request,
        "dashboard/month.html",
        {
            "year": year,
            "month": month,
            "rule_set": rule_set,
            "deadline": rule_set.close_deadline(month),
            "routine": state.routine,
            "form": form,
            "query": request.GET.urlencode(),
            "groups": [
                (key, label, _grouped([r for r in rows if r["progress"] == key], committees))
                for key, label in completeness.PROGRESS.items()
            ],
            "counts": {
                key: sum(r["progress"] == key for r in rows) for key in completeness.PROGRESS
            },
            "states": completeness.STATES,
            "can_mark": user.is_office and begun,
            "begun": begun,
            "months": MONTHS,
            "complete": COMPLETE,
        },
    )


@require_POST
@access.office_required
def mark(request, year, month):
    """Mark the chosen organizations' month done, or withdraw one organization's mark."""
    zone = request.zone
    _month_rule_set(zone, year, month)
    form = MarkForm(request.POST, organizations=Organization.objects.in_zone(zone).scored())
    # Back to the month page with the filters it had (only those: the field is posted text).
    kept = QueryDict(request.POST.get("query", ""))
    query = urlencode({name: kept[name] for name in FILTERS if kept.get(name)})
    back = reverse("dashboard:month", args=[year, month]) + (f"?{query}" if query else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    try:
        if form.cleaned_data["undo"]:
            n = unmark_done(
                zone=zone,
                organizations=form.cleaned_data["organizations"],
                year=year,
                month=month,
                user=request.user,
            )
        else:
            n = mark_done(
                zone=zone,
                organizations=form.cleaned_data["organizations"],
                year=year,
                month=month,
                user=request.user,
            )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        if form.cleaned_data["undo"]:
            messages.success(request, f"已撤销 {n} 个组织 {year}年{month}月的“已录完”标记。")
        else:
            messages.success(request, f"已将 {n} 个组织 {year}年{month}月标记为已录完。")
    return redirect(back)


NOTICES_PAGE_SIZE = 30


@login_required
def notifications(request):
    notices = Notification.objects.filter(user=request.user)
    page = Paginator(notices, NOTICES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/notifications.html",
        {"page": page, "unread": notices.unread().count(), "query": ""},
    )


@login_required
def notification_open(request, pk):
    """Open a notice: it is read, and the user is taken where they can act on it."""
    notice = get_object_or_404(Notification, pk=pk, user=request.user)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    if url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("dashboard:notifications")


@require_POST
@login_required
def notifications_read(request):
    marked = Notification.objects.filter(user=request.user).unread().update(read_at=timezone.now())
    messages.success(request, f"已将 {marked} 条消息标为已读。" if marked else "没有未读消息。")
    return redirect("dashboard:notifications")
