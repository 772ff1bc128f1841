"""The dashboard: completeness (the rule, the month page against the grid, on time from the
points' history), the marks, and its figures against the warnings and grading pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard import completeness
from dashboard.completeness import LATE, MISSING, ON_TIME, OPEN, month_state
from dashboard.models import CompletionMark
from scoring.models import Level
from scoring.services.grading import finalize_year
from scoring.services.points import Cell, record_points
from scoring.services.rulesets import create_rule_set

from .conftest import make_org, score

TZ = timezone.get_default_timezone()
DEADLINE = datetime.datetime(2025, 4, 11, tzinfo=TZ)  # March's deadline (10 April) is over


def moment(*args):
    return datetime.datetime(*args, tzinfo=TZ)


def state(**overrides):
    facts = {
        "entered": 13,
        "entered_by_deadline": 13,
        "routine": 13,
        "marked_at": None,
        "deadline": DEADLINE,
        "now": moment(2025, 5, 1),
    }
    return month_state(**{**facts, **overrides})


def test_a_month_entered_in_full_before_its_deadline_is_on_time():
    assert state() == ON_TIME


def test_a_month_completed_after_its_deadline_is_late():
    assert state(entered_by_deadline=12) == LATE


def test_a_month_incomplete_once_its_deadline_is_over_is_missing():
    assert state(entered=12, entered_by_deadline=12) == MISSING


def test_before_the_deadline_an_incomplete_month_is_not_yet_due_and_a_complete_one_on_time():
    early = moment(2025, 4, 3)
    assert state(entered=5, entered_by_deadline=5, now=early) == OPEN
    assert state(now=early) == ON_TIME


def test_the_office_mark_completes_a_month_on_time_or_late_by_when_it_was_set():
    partial = {"entered": 4, "entered_by_deadline": 4}
    assert state(**partial, marked_at=moment(2025, 4, 10, 23)) == ON_TIME
    assert state(**partial, marked_at=moment(2025, 4, 12)) == LATE


def test_the_deadline_is_over_at_the_end_of_its_day(rule_set):
    assert completeness.deadline_end(rule_set, 3) == moment(2025, 4, 11)
    assert completeness.deadline_end(rule_set, 12) == moment(2026, 1, 11)


@pytest.fixture
def clock(monkeypatch):
    """Set the current time (timezone.now, and so localdate and the history's dates)."""

    def set_to(*args):
        now = moment(*args)
        monkeypatch.setattr("django.utils.timezone.now", lambda: now)
        return now

    return set_to


def routine(rule_set):
    return [i for i in rule_set.ordered_items() if i.kind == "routine"]


def enter(org, items, month, user, value="0.5"):
    record_points(
        zone=org.zone,
        year=2025,
        cells=[Cell(org.pk, item.pk, month, value) for item in items],
        user=user,
        reason="测试",
    )


def test_the_month_page_counts_what_the_grid_shows(zone, rule_set, login):
    items = routine(rule_set)
    enter(zone.a1, items, 3, zone.staff)  # every routine item: complete
    enter(zone.a2, items[:4], 3, zone.staff)  # four of them: partial
    enter(zone.b1, items, 3, zone.staff, value="0")  # zeros are entries too
    client = login(zone.staff)

    grid = client.get(reverse("scoring:grid", args=[2025, 3])).context
    routine_columns = [n for n, item in enumerate(grid["items"]) if item.kind == "routine"]
    filled = {
        row["org"].pk: sum(row["cells"][n][0] != "" for n in routine_columns)
        for row in grid["rows"]
    }
    from_grid = {
        "complete": {pk for pk, n in filled.items() if n == len(items)},
        "partial": {pk for pk, n in filled.items() if 0 < n < len(items)},
        "not_started": {pk for pk, n in filled.items() if n == 0},
    }

    page = client.get(reverse("dashboard:month", args=[2025, 3])).context
    from_page = {
        key: {row["pk"] for _, rows in groups for row in rows} for key, _, groups in page["groups"]
    }
    assert from_page == from_grid
    assert from_page["complete"] == {zone.a1.pk, zone.b1.pk}
    assert from_page["partial"] == {zone.a2.pk}


def test_on_time_is_read_from_when_the_entries_were_made(zone, rule_set, clock):
    items = routine(rule_set)
    clock(2025, 4, 9, 15)
    enter(zone.a1, items, 3, zone.staff)  # before the deadline
    enter(zone.a2, items[:-1], 3, zone.staff)
    clock(2025, 4, 20, 9)
    enter(zone.a2, items[-1:], 3, zone.staff)  # the last item after it
    now = clock(2025, 5, 2, 9)

    year = completeness.YearCompleteness(zone.zone.organizations.scored(), rule_set, now=now)

    assert year.state(zone.a1.pk, 3) == ON_TIME
    assert year.state(zone.a2.pk, 3) == LATE
    assert year.state(zone.b1.pk, 3) == MISSING
    assert year.state(zone.a1.pk, 5) == OPEN  # May's deadline is in June
    whole, by_committee = year.rates()
    # Months 1–3 are due for five organizations: a1's March is its only on-time month.
    assert (whole.due, whole.on_time, whole.late) == (15, 1, 1)
    assert by_committee[zone.com_a.path].on_time == 1


def test_the_office_marks_a_month_done_and_can_withdraw_it(zone, rule_set, login):
    enter(zone.a2, routine(rule_set)[:3], 3, zone.staff)
    client = login(zone.staff)
    url = reverse("dashboard:mark", args=[2025, 3])

    response = client.post(url, {"organizations": [zone.a2.pk], "query": "sector=social"})

    assert response["Location"] == reverse("dashboard:month", args=[2025, 3]) + "?sector=social"
    mark = CompletionMark.objects.get(organization=zone.a2, year=2025, month=3)
    assert mark.marked_by == zone.staff
    page = client.get(reverse("dashboard:month", args=[2025, 3])).context
    complete = next(groups for key, _, groups in page["groups"] if key == "complete")
    assert zone.a2.pk in {row["pk"] for _, rows in complete for row in rows}

    client.post(url, {"organizations": [zone.a2.pk], "undo": "on"})

    assert not CompletionMark.objects.filter(organization=zone.a2).exists()
    assert [h.history_type for h in mark.history.order_by("history_date")] == ["+", "-"]


def test_marking_refuses_nothing_chosen_another_zone_and_a_month_to_come(
    zone, other_zone, rule_set, login
):
    client = login(zone.staff)
    response = client.post(reverse("dashboard:mark", args=[2025, 3]), {}, follow=True)
    assert "请先勾选要标记的组织" in response.content.decode()
    response = client.post(
        reverse("dashboard:mark", args=[2025, 3]),
        {"organizations": [other_zone.x1.pk]},
        follow=True,
    )
    assert "所选组织不存在或不在本区" in response.content.decode()
    create_rule_set(zone=zone.zone, year=2099, user=zone.admin, copy_from=rule_set)
    response = client.post(
        reverse("dashboard:mark", args=[2099, 1]), {"organizations": [zone.a1.pk]}, follow=True
    )
    assert "尚未到来" in response.content.decode()
    assert not CompletionMark.objects.exists()


@pytest.fixture
def this_year(zone, rule_set):
    """This year's rule set too: the dashboard works on the month being entered now."""
    return create_rule_set(
        zone=zone.zone, year=timezone.localdate().year, user=zone.admin, copy_from=rule_set
    )


def test_staff_and_committee_viewers_land_on_the_dashboard(zone, this_year, login):
    for user in (zone.staff, zone.admin, zone.viewer):
        assert login(user).get("/")["Location"] == reverse("dashboard:dashboard")
    assert login(zone.secretary).get("/")["Location"] == reverse(
        "scoring:status", args=[zone.a1.pk]
    )
    assert login(zone.city_viewer).get("/")["Location"] == reverse("scoring:compare")


def test_a_committee_viewer_sees_only_their_subtree(zone, this_year, login):
    response = login(zone.viewer).get(reverse("dashboard:dashboard"))
    text = response.content.decode()
    assert response.context["scored"] == 3  # com_a, a1, a2
    assert zone.a1.name in text and zone.b1.name not in text
    # A viewer cannot enter points: their links lead to the record sheet, not the grid.
    assert reverse("scoring:grid", args=[2025, 3]) not in text


def test_the_warnings_by_level_equal_the_warnings_page(zone, this_year, published, login):
    shown = {}
    for user in (zone.staff, zone.viewer):
        client = login(user)
        shown[user] = client.get(reverse("dashboard:dashboard")).context["warning_counts"]
        page = client.get(reverse("scoring:warnings", args=[2025, 1])).context["counts"]
        assert shown[user] == page
    staff_counts = dict(shown[zone.staff])
    assert staff_counts[Level.YELLOW] == 1 and staff_counts[Level.RED] == 4


def test_last_years_grades_by_sector_equal_the_grading_page(zone, this_year, rule_set, login):
    score(zone.a1, 2025, 1, 25)
    score(zone.a2, 2025, 2, 25)
    for quarter in range(1, 5):
        score(zone.b1, 2025, quarter, 23)
    client = login(zone.staff)

    def both():
        dashboard = client.get(reverse("dashboard:dashboard")).context["grades"]
        grading = client.get(reverse("scoring:grading", args=[2025])).context["distribution"]
        return dashboard, grading

    live, grading = both()
    assert not live.finalized and live.table == grading
    assert live.table["all"] == 5
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    stored, grading = both()
    assert stored.finalized and stored.table == grading


def test_the_running_quarter_is_measured_against_the_pro_rated_line(zone, this_year, login):
    from scoring import rules

    today = timezone.localdate()
    quarter = rules.quarter_of(today.month)
    months = rules.months_ended(today.year, quarter, today)
    line = rules.pro_rated_line(this_year.warning_threshold, months)
    figures = login(zone.staff).get(reverse("dashboard:dashboard")).context["quarter"]
    assert (figures.months_ended, figures.line) == (months, line)
    # Nobody has entered anything this quarter: behind unless no month has ended yet.
    assert figures.behind == (5 if line > 0 else 0)
    assert figures.average == Decimal(0)


def test_the_charts_are_inline_svg_without_script_and_with_the_pages_nonce(zone, this_year, login):
    response = login(zone.staff).get(reverse("dashboard:dashboard"))
    text = response.content.decode()
    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert text.count("<svg") >= 2
    assert "<script" not in text.split("<main")[1].split("</main>")[0]
    assert f'<style type="text/css" nonce="{nonce}">' in text
    assert "各月录入情况" in text and 'style="' not in text
    # Every chart's numbers are there as a table too.
    assert text.count("<summary>查看数据</summary>") == text.count("<figure")


def test_the_dashboard_runs_a_constant_number_of_queries(zone, this_year, published, login):
    client = login(zone.staff)
    client.get(reverse("dashboard:dashboard"))
    caches["fragments"].clear()  # the content computed again, not served from the cache
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard:dashboard"))
    for n in range(30):
        make_org(zone.com_b, f"B-{n + 10}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("dashboard:dashboard"))
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("dashboard:dashboard"))
    assert len(cached.captured_queries) < len(few.captured_queries)


def test_the_demo_office_marks_the_months_entered_when_they_were_entered(zone, rule_set, clock):
    from dashboard import demo

    clock(2025, 4, 3, 10)
    for org in (zone.a1, zone.a2, zone.b1, zone.com_a):
        enter(org, routine(rule_set)[:2], 3, zone.staff)  # two items of seventeen
    now = clock(2025, 6, 1, 10)

    marked = demo.mark_entered_months(seed=3, zone=zone.zone, user=zone.staff)

    year = completeness.YearCompleteness(zone.zone.organizations.scored(), rule_set, now=now)
    march = [year.state(org.pk, 3) for org in (zone.a1, zone.a2, zone.b1, zone.com_a)]
    assert marked == CompletionMark.objects.count() == sum(s != MISSING for s in march)
    assert march.count(ON_TIME) >= 2  # most are marked the day after their entries
    assert year.state(zone.com_b.pk, 3) == MISSING  # nothing entered: nothing to mark
    assert demo.mark_entered_months(seed=3, zone=zone.zone, user=zone.staff) == 0


def test_names_in_the_long_lists_are_escaped(zone, this_year, login):
    make_org(zone.com_b, "B-9", "<b>乙九</b>支部")
    text = login(zone.staff).get(reverse("dashboard:dashboard")).content.decode()
    assert "&lt;b&gt;乙九&lt;/b&gt;支部" in text and "<b>乙九" not in text
