"""The demo city, loaded once for this module (it records ~87,000 entries in two zones)."""

import datetime
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from orgs import demo as org_demo
from orgs.models import CoveredUnit, Organization, Role, Sector, User, Zone
from scoring import demo, rules
from scoring.grades import live_rows
from scoring.models import Notice, Period, PointEntry, Rectification, RuleSet, Scorecard, Status
from scoring.standings import quarter_standings

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo_zone(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_demo_zone", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


def main_zone():
    return Zone.objects.get(code=org_demo.ROOT_CODE)


def test_it_loads_304_organizations_covering_582_units_beside_a_small_zone():
    zone = main_zone()
    scored = Organization.objects.in_zone(zone).scored()
    assert scored.count() == 304
    assert CoveredUnit.objects.filter(organization__zone=zone).count() == 582
    assert set(scored.values_list("sector", flat=True)) == set(Sector.values)
    assert scored.filter(is_demo_point=True).count() == 29
    assert set(scored.tier_counts(2026)) == {"A", "B", "C"}
    assert not scored.filter(secretary__isnull=True).exists()
    small = Organization.objects.in_zone(Zone.objects.get(code=org_demo.SMALL_CODE)).scored()
    assert 20 <= small.count() <= 50
    assert Zone.objects.filter(region__name=org_demo.CITY).count() == 2


def test_it_creates_an_account_for_every_role_and_prints_the_logins(demo_zone):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="viewer").committee.depth == 2
    assert User.objects.get(username="yjstaff").zone.code == org_demo.SMALL_CODE
    assert User.objects.get(username="city").region.name == org_demo.CITY
    for username in ("admin", "staff", "viewer", "yjadmin", "yjstaff", "city", "platform"):
        assert username in demo_zone
    for state in ("三级（红色）", "二级（橙色）", "一级（黄色）", "未预警"):
        assert state in demo_zone
    # Every account of a zone belongs to it; the city and the platform to none.
    for user in User.objects.filter(role=Role.SECRETARY).select_related("secretary_of"):
        assert user.zone_id == user.secretary_of.zone_id


def test_it_records_two_years_and_closes_all_but_the_last_month():
    for zone in Zone.objects.all():
        last, this = sorted(RuleSet.objects.filter(zone=zone).values_list("year", flat=True))
        entries = PointEntry.objects.filter(organization__zone=zone)
        months = set(entries.filter(year=last).values_list("month", flat=True))
        assert months == set(range(1, 13))
        scored = Organization.objects.in_zone(zone).scored().count()
        assert Scorecard.objects.filter(organization__zone=zone, year=last).count() == scored
        assert not Period.objects.filter(zone=zone, year=last, closed=False).exists()
        assert entries.filter(year=this).exists()


def test_every_warning_level_and_grade_appears():
    zone = main_zone()
    last = RuleSet.objects.filter(zone=zone).order_by("year").first()
    scored = Organization.objects.in_zone(zone).scored()
    levels = set()
    for quarter in range(1, 5):
        levels |= {s.level for s in quarter_standings(zone, scored, last.year, quarter).values()}
    graded = list(live_rows(last, today=datetime.date(last.year + 1, 1, 1)))
    assert levels == {rules.NOT_WARNED, rules.YELLOW, rules.ORANGE, rules.RED}
    assert {g.grade for g in graded} == {rules.FIRST, rules.SECOND, rules.THIRD}
    assert sum(g.vetoed for g in graded) == 1


def test_it_publishes_every_ended_quarter_but_the_last_and_walks_the_rectifications(demo_zone):
    today = timezone.localdate()
    last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    for zone in Zone.objects.all():
        published = set(Notice.objects.filter(zone=zone).values_list("year", "quarter"))
        assert last_quarter not in published
        assert published and max(published) == rules.previous_quarters(*last_quarter, 1)[0]
        # Each zone numbers its own notices from 1 in every year of issue.
        numbers = Notice.objects.filter(zone=zone, number_year=today.year)
        assert sorted(numbers.values_list("number", flat=True))[:1] == [1]
    assert "已发布此前" in demo_zone
    statuses = set(
        Rectification.objects.filter(warning__notice__zone=main_zone()).values_list(
            "status", flat=True
        )
    )
    assert statuses == set(Status.values)


def test_it_is_idempotent():
    before = (Organization.objects.count(), CoveredUnit.objects.count(), PointEntry.objects.count())
    out = StringIO()
    call_command("load_demo_zone", stdout=out)
    after = (Organization.objects.count(), CoveredUnit.objects.count(), PointEntry.objects.count())
    assert before == after
    assert "已存在，未重复创建" in out.getvalue()


def test_it_is_deterministic_for_a_seed():
    assert org_demo.plan_zone(random.Random(7)) == org_demo.plan_zone(random.Random(7))
    zone = main_zone()
    organizations = list(Organization.objects.in_zone(zone).scored().order_by("path"))
    years = sorted(RuleSet.objects.filter(zone=zone).values_list("year", flat=True))

    def plan(seed):
        return [
            (year, month, [(c.organization_id, c.item_id, c.value, c.note) for c in cells])
            for year, month, cells in demo.plan_points(
                seed=seed, zone=zone, organizations=organizations, years=years, upto=(years[0], 6)
            )
        ]

    assert plan(5) == plan(5)
    assert plan(5) != plan(6)
