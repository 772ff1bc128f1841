"""Several zones in one deployment: each office works its own zone and never sees another;
a city viewer compares them; the platform creates zones and moves organizations between them."""

import datetime
import json
import re
from decimal import Decimal as D
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from orgs import access
from orgs.models import (
    Organization,
    Role,
    SecretaryTerm,
    TierAssignment,
    User,
    Zone,
    ZoneMove,
)
from orgs.services import Refused as MoveRefused
from orgs.services import move_to_zone, set_secretary
from scoring.models import AnnualResult, RuleSet, Scorecard
from scoring.services.grading import finalize_year
from scoring.services.notices import next_notice_number, publish_notice
from scoring.services.points import Cell, PointsRejected, record_points
from scoring.services.rulesets import create_rule_set

from .conftest import make_user, score


@pytest.fixture
def two_years(zone, other_zone, rule_set):
    """Both zones with a 2025 rule set; a1 (first zone) and x1 (second) scored."""
    create_rule_set(zone=other_zone.zone, year=2025, user=other_zone.admin)
    for quarter in range(1, 5):
        score(zone.a1, 2025, quarter, 25)
        score(other_zone.x1, 2025, quarter, 20)
    return 2025


def publish(place, user):
    return publish_notice(
        zone=place,
        year=2025,
        quarter=1,
        number=next_notice_number(place, 2025),
        published_on=datetime.date(2025, 4, 8),
        title="通报",
        text="正文",
        user=user,
    )


def test_each_zone_numbers_its_own_notices(zone, other_zone, two_years):
    first, second = publish(zone.zone, zone.staff), publish(other_zone.zone, other_zone.staff)
    assert (first.label, second.label) == ("〔2025〕第1号", "〔2025〕第1号")
    assert {w.organization.zone_id for w in second.warnings.all()} == {other_zone.zone.pk}
    assert next_notice_number(zone.zone, 2025) == next_notice_number(other_zone.zone, 2025) == 2


def test_each_zone_grades_and_ranks_its_own_organizations(zone, other_zone, two_years):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    finalize_year(zone=other_zone.zone, year=2025, user=other_zone.staff)
    x1 = AnnualResult.objects.get(organization=other_zone.x1)
    a1 = AnnualResult.objects.get(organization=zone.a1)
    assert (a1.zone, a1.rank, a1.total) == (zone.zone, 1, D(100))
    assert (x1.zone, x1.rank, x1.total) == (other_zone.zone, 1, D(80))
    assert AnnualResult.objects.filter(zone=other_zone.zone).count() == 2  # com_x and x1


def test_a_zone_records_points_only_for_its_own_organizations(zone, other_zone, two_years, items):
    with pytest.raises(PointsRejected) as rejected:
        record_points(
            zone=zone.zone,
            year=2025,
            cells=[Cell(other_zone.x1.pk, items["2.1"].pk, 5, "1")],
            user=zone.staff,
            reason="",
        )
    assert rejected.value.errors[0].why == "不是在用的计分党组织"
    other_items = {i.code: i for i in RuleSet.objects.get(zone=other_zone.zone).items.all()}
    with pytest.raises(PointsRejected) as rejected:
        record_points(
            zone=zone.zone,
            year=2025,
            cells=[Cell(zone.a1.pk, other_items["2.1"].pk, 5, "1")],
            user=zone.staff,
            reason="",
        )
    assert rejected.value.errors[0].why == "不是 2025 年度评分细则中的小项"


def test_the_grid_saves_nothing_of_another_zone(zone, other_zone, two_years, items, login):
    body = {
        "year": 2025,
        "cells": [
            {
                "org": other_zone.x1.pk,
                "item": items["2.1"].pk,
                "month": 5,
                "value": "1",
                "version": 0,
            }
        ],
    }
    response = login(zone.staff).post(
        reverse("scoring:save"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert "不是在用的计分党组织" in response.json()["errors"][0]["message"]


def test_each_office_lists_only_its_zone(zone, other_zone, two_years, login):
    client = login(other_zone.staff)
    listed = client.get(reverse("orgs:list")).context["page"].object_list
    assert {o.code for o in listed} == {"A", "A-1"}
    assert {o.zone_id for o in listed} == {other_zone.zone.pk}
    grid = client.get(reverse("scoring:grid", args=[2025, 3])).context["rows"]
    assert [row["org"].name for row in grid] == ["丙党委", "丙一支部"]
    warned = client.get(reverse("scoring:warnings", args=[2025, 1])).context["rows"]
    assert {row["org"].zone_id for row in warned} == {other_zone.zone.pk}


def crawl(client, start, limit=400):
    """Every page reachable from `start` by following the site's own links (GETs only)."""
    seen, queue, pages = set(), [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[url] = html
        for link in re.findall(r'href="([^"#]+)"', html):
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or "/static/" in parts.path:
                continue
            if "logout" in parts.path or "/admin/" in parts.path:
                continue
            queue.append(link.replace("&amp;", "&"))
    return pages


def test_a_crawl_by_one_zones_staff_finds_nothing_of_the_other_zone(
    zone, other_zone, two_years, login
):
    publish(zone.zone, zone.staff)
    publish(other_zone.zone, other_zone.staff)
    pages = crawl(login(zone.staff), "/")
    assert len(pages) > 30, "the crawl reached too little to prove anything"
    for name in ("另一县区", "丙党委", "丙一支部", "另一县区委"):
        found = [url for url, html in pages.items() if name in html]
        assert found == [], f"{name} on {found[:3]}"
    # And the other way round.
    pages = crawl(login(other_zone.staff), "/")
    for name in ("测试开发区", "甲党委", "甲一支部", "乙一支部"):
        found = [url for url, html in pages.items() if name in html]
        assert found == [], f"{name} on {found[:3]}"


def test_the_city_viewer_compares_its_zones_with_the_warnings_pages_counts(
    zone, other_zone, two_years, login
):
    client = login(zone.city_viewer)
    rows = client.get(reverse("scoring:compare"), {"year": 2025, "quarter": 1}).context["rows"]
    by_zone = {r["zone"].code: r for r in rows}
    assert set(by_zone) == {"ROOT", "OTHER"}
    for place, code in ((zone.zone, "ROOT"), (other_zone.zone, "OTHER")):
        client.post(reverse("orgs:zone_choose", args=[place.pk]))
        page = client.get(reverse("scoring:warnings", args=[2025, 1])).context
        assert dict((lvl, n) for lvl, n in page["counts"]) == dict(by_zone[code]["levels"])
        assert page["scored"] == by_zone[code]["n"]
    assert by_zone["OTHER"]["average"] == D(10)  # x1 20 and its committee 0


def test_the_cross_zone_figures_are_summed_once_a_minute_not_on_every_request(
    zone, other_zone, two_years, login
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(zone.city_viewer)
    compare, period = reverse("scoring:compare"), {"year": 2025, "quarter": 1}

    def entered_in_root():
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(compare, period).context["rows"]
        return next(r["entered"] for r in rows if r["zone"] == zone.zone), len(queries)

    summed = entered_in_root()
    assert summed == (1, summed[1])
    score(zone.a2, 2025, 1, 5)
    assert entered_in_root() == (1, summed[1] - 1)  # within the minute: as summed
    cache.clear()  # a minute later
    assert entered_in_root() == (2, summed[1])
    with CaptureQueriesContext(connection) as counted:
        client.get(reverse("orgs:zones"))
    with CaptureQueriesContext(connection) as cached:
        listed = client.get(reverse("orgs:zones")).context["zones"]
    assert len(cached) == len(counted) - 1
    assert dict((z.code, n) for z, n in listed) == {"ROOT": 5, "OTHER": 2}


def test_a_cross_zone_reader_only_reads(zone, other_zone, two_years, login):
    client = login(zone.city_viewer)
    assert client.get(reverse("scoring:warnings", args=[2025, 1])).status_code == 302
    client.post(reverse("orgs:zone_choose", args=[other_zone.zone.pk]))
    assert client.get(reverse("scoring:warnings", args=[2025, 1])).status_code == 200
    assert client.get(reverse("scoring:grid", args=[2025, 3])).status_code == 403
    assert client.post(reverse("scoring:finalize", args=[2025])).status_code == 403


def test_a_city_viewer_cannot_choose_a_zone_of_another_city(zone, login):
    far = Zone.objects.create(code="FAR", name="外市的区")
    response = login(zone.city_viewer).post(reverse("orgs:zone_choose", args=[far.pk]))
    assert response.status_code == 404


def test_the_platform_creates_a_zone_with_its_first_administrator(zone, login, client):
    response = login(zone.platform).post(
        reverse("orgs:zone_create"),
        {
            "name": "新区",
            "code": "xq",
            "region": zone.city.pk,
            "root_name": "中共新区工作委员会",
            "root_short_name": "新区党工委",
            "root_members": 9,
            "root_founded_on": "2020-01-01",
            "admin_username": "xqadmin",
            "admin_name": "陈明",
            "admin_password": "Xq-first-password-1",
        },
    )
    assert response.status_code == 302
    place = Zone.objects.get(code="XQ")
    assert place.root.name == "中共新区工作委员会"
    admin = User.objects.get(username="xqadmin")
    assert (admin.role, admin.zone, admin.display_name) == (Role.ADMIN, place, "陈明")
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "xqadmin", "password": "Xq-first-password-1"}
    )
    assert signed_in.status_code == 302
    # The platform's password opens only the change to one of the administrator's own.
    assert client.get(reverse("orgs:list"))["Location"] == reverse("password_change")
    new = "Xq-own-password-22"
    changed = client.post(
        reverse("password_change"),
        {"old_password": "Xq-first-password-1", "new_password1": new, "new_password2": new},
    )
    assert changed["Location"] == reverse("home")
    listed = client.get(reverse("orgs:list"))
    assert listed.status_code == 200 and listed.context["total"] == 0
    assert client.get(reverse("scoring:rule_set_create")).status_code == 200


def test_a_zone_form_names_what_is_wrong(zone, login):
    response = login(zone.platform).post(
        reverse("orgs:zone_create"),
        {
            "name": "测试开发区",
            "code": "ROOT",
            "root_members": 1,
            "admin_username": "admin",
            "admin_password": "1",
        },
    )
    errors = response.context["form"].errors
    assert "已有同名" in errors["name"][0]
    assert "已被使用" in errors["code"][0]
    assert "已被使用" in errors["admin_username"][0]
    assert "党工委全称" in response.content.decode()


def rename(*organizations):
    """Give organizations of the second zone codes the first zone does not use."""
    for number, org in enumerate(organizations):
        Organization.objects.filter(pk=org.pk).update(code=f"X-{number}")


def test_moving_an_organization_with_unfinished_points_is_refused(zone, other_zone, two_years):
    rename(other_zone.com_x, other_zone.x1)
    with pytest.raises(MoveRefused, match="2025 年度已有积分"):
        move_to_zone(organization=zone.a1, parent=other_zone.com_x, reason="区划调整", user=None)
    assert Organization.objects.get(pk=zone.a1.pk).zone == zone.zone


def test_a_move_takes_the_subtree_and_its_accounts_and_is_kept(zone, other_zone, two_years, login):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    set_secretary(
        organization=zone.a2, user=make_user("a2sec", Role.SECRETARY, zone=zone.zone), by=None
    )
    response = login(zone.platform).post(
        reverse("orgs:move", args=[zone.com_a.pk]),
        {"parent": other_zone.root.pk, "reason": "区划调整"},
    )
    # Codes A and A-1 exist in the other zone already: refused, named.
    assert "目标开发区已有相同编码的组织：A、A-1" in response.content.decode()
    rename(other_zone.com_x, other_zone.x1)
    response = login(zone.platform).post(
        reverse("orgs:move", args=[zone.com_a.pk]),
        {"parent": other_zone.root.pk, "reason": "区划调整"},
    )
    assert response.status_code == 302
    moved = Organization.objects.filter(pk__in=[zone.com_a.pk, zone.a1.pk, zone.a2.pk])
    assert set(moved.values_list("zone", flat=True)) == {other_zone.zone.pk}
    assert User.objects.get(pk=zone.secretary.pk).zone == other_zone.zone
    assert User.objects.get(pk=zone.viewer.pk).zone == other_zone.zone
    move = ZoneMove.objects.get()
    assert (move.from_zone, move.to_zone, move.reason) == (zone.zone, other_zone.zone, "区划调整")
    # The year graded before the move stays the first zone's.
    assert AnnualResult.objects.get(organization=zone.a1).zone == zone.zone
    # Their scorecards, tiers and secretaries' terms go with them: the new zone's pages and
    # stamp read them by zone.
    for model in (Scorecard, TierAssignment, SecretaryTerm):
        rows = model.objects.filter(organization__in=moved)
        assert rows.exists() and set(rows.values_list("zone", flat=True)) == {other_zone.zone.pk}
    detail = login(other_zone.staff).get(reverse("orgs:detail", args=[zone.a1.pk]))
    assert detail.status_code == 200
    assert login(zone.staff).get(reverse("orgs:detail", args=[zone.a1.pk])).status_code == 404
    page = login(zone.platform).get(reverse("orgs:detail", args=[zone.com_a.pk])).content.decode()
    assert "跨区转移记录" in page and "区划调整" in page


def test_a_zone_can_start_from_another_zones_rule_set(zone, other_zone, rule_set, login):
    rule_set.warning_threshold = D(24)
    rule_set.save()
    response = login(other_zone.admin).post(
        reverse("scoring:rule_set_create"), {"year": 2025, "copy_from": rule_set.pk}
    )
    assert response.status_code == 302
    copied = RuleSet.objects.get(zone=other_zone.zone, year=2025)
    assert copied.warning_threshold == D(24)
    assert copied.items.count() == rule_set.items.count()
    assert copied.history.first().history_change_reason == "复制测试开发区 2025 年度细则"


def test_the_rule_set_form_starts_from_a_year_without_one(zone, rule_set, login):
    create_rule_set(zone=zone.zone, year=2026, user=zone.admin, copy_from=rule_set)
    form = login(zone.admin).get(reverse("scoring:rule_set_create")).context["form"]
    assert form.fields["year"].initial == 2027


def test_choosing_a_zone_is_remembered_for_the_session(zone, other_zone, login):
    client = login(zone.city_viewer)
    client.post(reverse("orgs:zone_choose", args=[other_zone.zone.pk]))
    assert client.session[access.CHOSEN_ZONE] == other_zone.zone.pk
    assert "另一县区" in client.get(reverse("orgs:list")).content.decode()


def test_a_zone_account_must_name_its_zone(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        User(username="x", role=Role.STAFF).full_clean()
    assert "必须指定所属开发区" in str(error.value)
    with pytest.raises(ValidationError) as error:
        User(username="y", role=Role.REGION).full_clean()
    assert "必须指定所查看的市/省" in str(error.value)


def test_cross_zone_accounts_land_on_the_comparison(zone, login):
    for user in (zone.city_viewer, zone.platform):
        assert login(user).get("/")["Location"] == reverse("scoring:compare")
