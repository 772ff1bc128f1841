from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring import rules
from scoring.models import Rectification
from scoring.services.points import Cell, record_points
from scoring.services.rectifications import review_rectification, submit_rectification
from scoring.services.rulesets import create_rule_set
from scoring.views.status import chart

from .conftest import set_tier


@pytest.fixture
def this_year(zone, rule_set):
    year = timezone.localdate().year
    return create_rule_set(zone=zone.zone, year=year, user=zone.admin, copy_from=rule_set)


def test_a_secretary_lands_on_their_status_page(zone, this_year, login):
    response = login(zone.secretary).get(reverse("home"))
    assert response["Location"] == reverse("scoring:status", args=[zone.a1.pk])


def test_it_shows_the_quarter_so_far_and_what_is_missing(zone, this_year, login):
    today = timezone.localdate()
    items = {i.code: i for i in this_year.items.all()}
    record_points(
        zone=zone.zone,
        year=today.year,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, today.month, "3"),
            Cell(zone.a1.pk, items["1.1"].pk, today.month, "1"),
        ],
        user=zone.staff,
        reason="",
    )
    response = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk]))
    figures = response.context["figures"]
    assert (figures.so_far(), figures.gap(), figures.missing_total()) == ("4.0", "21.0", "21.0")
    missing = {item.code: room for item, _, room in figures.missing_rows()}
    assert "2.1" not in missing and missing["1.1"] == "0.5"
    assert len(figures.chart()["bars"]) == 8
    html = response.content.decode()
    assert "<svg" in html and 'id="so-far">4.0<' in html
    # The running quarter is progress against what its ended months should have reached.
    quarter = rules.quarter_of(today.month)
    ended = rules.months_ended(today.year, quarter, today)
    line = rules.pro_rated_line(D(25), ended)
    assert figures.line == line
    assert figures.behind() == (f"{line - 4:.1f}" if line > 4 else None)
    pace = html[html.index('id="pace"') :]
    pace = pace[: pace.index("</p>")]
    if ended:
        assert f"应达 {line:.1f} 分" in pace
    cards = html[html.index(f"第{quarter}季度</div>", html.index("各季度")) :]
    running = cards[: cards.index("</div></div>")]
    assert "进行中（预估）" in running and "level-badge" not in running


def test_a_change_of_points_shows_at_once_despite_the_cached_fragment(zone, this_year, login):
    today = timezone.localdate()
    items = {i.code: i for i in this_year.items.all()}
    client = login(zone.secretary)
    url = reverse("scoring:status", args=[zone.a1.pk])
    assert 'id="so-far">0.0<' in client.get(url).content.decode()
    record_points(
        zone=zone.zone,
        year=today.year,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, today.month, "3")],
        user=zone.staff,
        reason="",
    )
    assert 'id="so-far">3.0<' in client.get(url).content.decode()
    record_points(
        zone=zone.zone,
        year=today.year,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, today.month, "2.5")],
        user=zone.staff,
        reason="",
    )
    assert 'id="so-far">2.5<' in client.get(url).content.decode()


def test_a_cached_page_reads_only_the_organization_and_its_tasks(
    zone, this_year, login, django_assert_max_num_queries
):
    client = login(zone.secretary)
    url = reverse("scoring:status", args=[zone.a1.pk])
    client.get(url)
    # The page's four, and the menu's unread notices.
    with django_assert_max_num_queries(5):
        client.get(url)


def test_it_ranks_the_organization_within_its_tier(zone, this_year, login):
    year = timezone.localdate().year
    quarter = rules.quarter_of(timezone.localdate().month)
    month = quarter * 3 - 2
    items = {i.code: i for i in this_year.items.all()}
    for org in (zone.com_a, zone.a1):
        set_tier(org, year, "A")
    record_points(
        zone=zone.zone,
        year=year,
        cells=[
            Cell(zone.com_a.pk, items["2.1"].pk, month, "3"),
            Cell(zone.a1.pk, items["2.1"].pk, month, "1"),
        ],
        user=zone.staff,
        reason="",
    )
    response = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk]))
    assert (response.context["rank"], response.context["tier_size"]) == (2, 2)


def test_it_lists_open_rectifications(zone, published, this_year, login):
    response = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk]))
    html = response.content.decode()
    assert "待完成的整改" in html and "〔2025〕第1号" in html and "已逾期" in html


def test_a_returned_task_shows_why_it_was_returned(zone, published, this_year, login):
    task = Rectification.objects.get(warning__organization=zone.a1)
    submit_rectification(rectification=task, user=zone.secretary, report="已整改")
    review_rectification(rectification=task, user=zone.staff, accept=False, comment="请补充佐证")
    html = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk])).content.decode()
    assert "退回意见：请补充佐证" in html and "修改后重新提交" in html


def test_another_secretary_gets_404(zone, this_year, login):
    assert login(zone.outsider).get(reverse("scoring:status", args=[zone.a1.pk])).status_code == 404


def test_without_a_rule_set_for_this_year_it_says_so(zone, rule_set, login):
    response = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk]))
    assert "评分细则尚未建立" in response.content.decode()


def test_the_status_page_runs_a_fixed_number_of_queries(
    zone, this_year, published, login, django_assert_max_num_queries
):
    client = login(zone.secretary)
    client.get(reverse("scoring:status", args=[zone.a1.pk]))
    with django_assert_max_num_queries(12):
        client.get(reverse("scoring:status", args=[zone.a1.pk]))


def test_the_chart_scales_to_the_highest_bar_and_marks_the_threshold():
    points = [
        {"label": str(i), "total": Decimal(v), "level": 0, "active": True, "provisional": False}
        for i, v in enumerate([10, 25, 40])
    ]
    geometry = chart(points, Decimal(25))
    bars = geometry["bars"]
    assert bars[2]["y"] == 18  # the top margin: the highest bar reaches the top
    assert bars[0]["h"] < bars[1]["h"] < bars[2]["h"]
    assert geometry["threshold_y"] == pytest.approx(bars[1]["y"])


def test_a_published_quarter_shows_its_notices_level_and_an_unpublished_one_an_estimate(
    zone, rule_set, login, monkeypatch
):
    import datetime

    from scoring.models import Warning

    from .conftest import publish_first_quarter

    # A day in August 2025: Q1 published, Q2 ended without a notice, Q3 running.
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2025, 8, 15))
    notice = publish_first_quarter(zone)
    figures = (
        login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk])).context["figures"]
    )
    first, second, third = figures.year_quarters[:3]
    published = Warning.objects.get(notice=notice, organization=zone.a1).level
    assert (first["state"], first["level"].value, first["notice"]) == (
        "published",
        published,
        notice,
    )
    # Q2 ended with no entries and no notice yet: red as an estimate, not a published level.
    assert (second["state"], second["level"].value, second["notice"]) == (
        "estimate",
        rules.RED,
        None,
    )
    assert third["state"] == "running"


def test_only_the_secretary_is_offered_to_report(zone, published, this_year, login):
    html = login(zone.staff).get(reverse("scoring:status", args=[zone.a1.pk])).content.decode()
    assert "填写整改报告" not in html and "修改后重新提交" not in html
    html = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk])).content.decode()
    assert "填写整改报告" in html


def test_a_closed_task_stays_in_the_secretarys_history(zone, published, this_year, login):
    task = Rectification.objects.get(warning__organization=zone.a1)
    submit_rectification(rectification=task, user=zone.secretary, report="已整改")
    review_rectification(rectification=task, user=zone.staff, accept=True)
    response = login(zone.secretary).get(reverse("scoring:status", args=[zone.a1.pk]))
    assert response.context["open_tasks"] == []
    history = response.content.decode()
    history = history[history.index('id="warning-history"') :]
    assert "已销号" in history and "2025年Q1" in history
    assert reverse("scoring:notice", args=[2025, 1]) in history
