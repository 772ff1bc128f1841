"""The demo city, loaded once for this module (it records ~87,000 entries in two zones)."""

import datetime
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.completeness import deadline_end
from dashboard.models import CompletionMark, Notification
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


def test_it_follows_the_date_it_is_loaded_on():
    """What a zone that started on 2 January of last year has done by today: every month whose
    deadline has passed entered and closed, each step dated when it would have happened."""
    today = timezone.localdate()
    for zone in Zone.objects.all():
        last, this = sorted(RuleSet.objects.filter(zone=zone).values_list("year", flat=True))
        assert (last, this) == (today.year - 1, today.year)
        entries = PointEntry.objects.filter(organization__zone=zone)
        assert set(entries.filter(year=last).values_list("month", flat=True)) == set(range(1, 13))
        scored = Organization.objects.in_zone(zone).scored().count()
        assert Scorecard.objects.filter(organization__zone=zone, year=last).count() == scored
        closed = set(Period.objects.filter(zone=zone, closed=True).values_list("year", "month"))
        for year, month in ((y, m) for y in (last, this) for m in range(1, 13)):
            deadline = RuleSet.objects.get(zone=zone, year=year).close_deadline(month)
            assert ((year, month) in closed) == (deadline < today), (year, month)
        # Entered in the week after each month, not on the day the demo was loaded.
        first = PointEntry.history.filter(organization__zone=zone, year=last, month=1)
        assert {h.history_date.date().month for h in first} == {2}


def test_last_year_is_graded_and_this_years_tiers_come_from_it():
    from orgs.models import TierSource
    from scoring.models import AnnualResult, YearState

    today = timezone.localdate()
    zone = main_zone()
    state = YearState.objects.get(zone=zone, year=today.year - 1)
    assert state.finalized and state.tiers_confirmed
    for result in AnnualResult.objects.filter(zone=zone)[:40]:
        org = Organization.objects.filter(pk=result.organization_id).with_tier(today.year).get()
        assert org.tier == result.next_tier
    graded = Organization.objects.in_zone(zone).scored().first()
    assert graded.tier_history.filter(source=TierSource.GRADING, year=today.year).exists()


def test_last_month_is_partly_entered_until_its_deadline_then_closed():
    today = timezone.localdate()
    zone = main_zone()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    entered = set(
        PointEntry.objects.filter(organization__zone=zone, year=year, month=month).values_list(
            "organization", flat=True
        )
    )
    scored = Organization.objects.in_zone(zone).scored().count()
    closed = Period.objects.filter(zone=zone, year=year, month=month, closed=True).exists()
    if RuleSet.objects.get(zone=zone, year=year).close_deadline(month) < today:
        assert closed and len(entered) == scored  # entered in full and closed on the deadline
    else:
        assert not closed and 0.5 * scored < len(entered) < scored  # still being entered


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


def test_it_publishes_every_ended_quarter_and_walks_the_rectifications(demo_zone):
    today = timezone.localdate()
    last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[0]
    for zone in Zone.objects.all():
        published = set(Notice.objects.filter(zone=zone).values_list("year", "quarter"))
        assert max(published) == last_quarter
        assert len(published) == 4 + rules.quarter_of(today.month) - 1
        # Each zone numbers its own notices from 1 in every year of issue.
        numbers = Notice.objects.filter(zone=zone, number_year=today.year)
        assert sorted(numbers.values_list("number", flat=True))[:1] == [1]
    assert "已发布预警通报" in demo_zone
    statuses = set(
        Rectification.objects.filter(warning__notice__zone=main_zone()).values_list(
            "status", flat=True
        )
    )
    assert statuses == set(Status.values)
    # A newcomer finds reports of the latest notice waiting for review.
    waiting = Rectification.objects.filter(
        warning__notice__zone=main_zone(),
        warning__notice__year=last_quarter[0],
        warning__notice__quarter=last_quarter[1],
        status=Status.SUBMITTED,
    )
    assert waiting.exists()


def test_the_office_marked_most_ended_months_entered_on_time_and_read_old_notices():
    zone = main_zone()
    today = timezone.localdate()
    rule_set = RuleSet.objects.get(zone=zone, year=today.year)
    marks = CompletionMark.objects.filter(organization__zone=zone, year=today.year)
    ended = [m for m in range(1, today.month) if deadline_end(rule_set, m) <= timezone.now()]
    assert ended
    on_time = sum(
        marks.filter(month=m, marked_at__lte=deadline_end(rule_set, m)).count() for m in ended
    )
    assert on_time / (304 * len(ended)) > 0.7
    staff = User.objects.get(username="staff")
    assert Notification.objects.filter(user=staff, read_at__isnull=True).count() < 100


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


# --- guidance (issue 16)
def test_the_zone_has_a_guidance_station_with_every_state_to_show(demo_zone):
    from django.db.models import Count

    from guidance.models import Problem, ProblemState, RecordState, Station, WeekRecord

    station = Station.objects.get(zone=main_zone())
    assert station.instructors.count() == 15 and station.groups.count() == 5
    assert station.batches.get().starts_on == datetime.date(timezone.localdate().year - 1, 9, 1)
    problems = dict(Problem.objects.values_list("state").annotate(n=Count("pk")))
    assert set(problems) == set(ProblemState.values)
    weeks = set(WeekRecord.objects.values_list("state", flat=True))
    assert weeks == set(RecordState.values)
    assert WeekRecord.objects.exclude(returned_comment="").exists()
    assert station.task_lists.filter(closed_at__isnull=False).exists()
    assert station.duties.exists() and station.meetings.exists() and station.decisions.exists()
    for username in ("zhidao", "zdzuzhang", "zdzhanzhang", "zdzhibu"):
        assert username in demo_zone
    assert User.objects.get(username="zhidao").instructor.organizations.exists()


# --- end of guidance
# --- records (issue 14)
def test_work_records_in_every_state_and_an_open_and_a_decided_appeal():
    from records.models import Appeal, AppealState, RecordAttachment, State, WorkRecord

    zone = main_zone()
    states = set(WorkRecord.objects.filter(organization__zone=zone).values_list("state", flat=True))
    assert states == set(State.values)
    assert RecordAttachment.objects.exclude(thumbnail="").exists()
    appeals = set(Appeal.objects.filter(warning__notice__zone=zone).values_list("state", flat=True))
    assert appeals == {AppealState.OPEN, AppealState.REJECTED}


# --- end of records
