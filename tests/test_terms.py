"""届满: terms ending within three months (or ended) in the office's organization list (a
filter; the badge is the account pages' `term_notice`), on the organization's page and on the
dashboard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from orgs.models import Organization, term_notice_until
from scoring.services.rulesets import create_rule_set

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("today", "until"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 4, 15)),
        (datetime.date(2026, 11, 30), datetime.date(2027, 2, 28)),
        (datetime.date(2026, 12, 31), datetime.date(2027, 3, 31)),
        (datetime.date(2027, 11, 30), datetime.date(2028, 2, 29)),
    ],
)
def test_the_notice_runs_three_months_ahead_to_the_same_day_or_the_months_last(today, until):
    assert term_notice_until(today) == until


def set_terms(zone):
    today = timezone.localdate()
    terms = {
        zone.a1: today + datetime.timedelta(days=20),  # due
        zone.a2: today - datetime.timedelta(days=3),  # ended, election overdue
        zone.b1: today + datetime.timedelta(days=400),  # not yet
    }
    for org, day in terms.items():
        Organization.objects.filter(pk=org.pk).update(term_ends_on=day)
    return terms


def test_the_list_filters_the_terms_due_and_badges_them(zone, login):
    set_terms(zone)
    response = login(zone.staff).get(reverse("orgs:list"), {"term": "due"})
    assert [o.code for o in response.context["page"]] == ["A-1", "A-2"]
    page = response.content.decode()
    assert page.count('term-notice">届满将至') == 1 and page.count('term-notice">已届满') == 1
    everyone = login(zone.staff).get(reverse("orgs:list")).content.decode()
    assert everyone.count("term-notice") == 2  # b1's term is a year away: no badge


def test_the_organization_page_shows_the_term_and_its_badge(zone, login):
    terms = set_terms(zone)
    page = login(zone.staff).get(reverse("orgs:detail", args=[zone.a1.pk])).content.decode()
    assert f"{terms[zone.a1]:%Y}年{terms[zone.a1].month}月{terms[zone.a1].day}日" in page
    assert "届满将至" in page
    page = login(zone.staff).get(reverse("orgs:detail", args=[zone.b1.pk])).content.decode()
    assert "term-notice" not in page


def test_the_dashboard_lists_the_terms_due_nearest_first_within_its_scope(zone, rule_set, login):
    create_rule_set(
        zone=zone.zone, year=timezone.localdate().year, user=zone.admin, copy_from=rule_set
    )
    set_terms(zone)
    response = login(zone.staff).get(reverse("dashboard:dashboard"))
    assert [t.code for t in response.context["terms"]] == ["A-2", "A-1"]
    assert response.context["terms_count"] == 2
    page = response.content.decode()
    assert "届满提醒" in page and "已届满" in page and "届满将至" in page
    Organization.objects.filter(pk=zone.a2.pk).update(term_ends_on=None)
    response = login(zone.viewer).get(reverse("dashboard:dashboard"))
    assert [t.code for t in response.context["terms"]] == ["A-1"]
