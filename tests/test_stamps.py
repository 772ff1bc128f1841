"""The zone stamp (orgs.stamps) and the cached page content keyed on it (partybuild.fragments):
every write a zone page shows moves its zone's stamp and no other's, and a reload after such a
write shows it."""

import hashlib
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from dashboard.services import mark_done
from orgs import stamps
from orgs.models import Organization
from orgs.stamps import zone_stamp
from partybuild import fragments
from scoring.models import Period, Rectification
from scoring.services.periods import close_month
from scoring.services.points import Cell, record_points
from scoring.services.rectifications import submit_rectification
from tests.conftest import make_org, publish_first_quarter, score, set_tier


@pytest.fixture
def both(zone, other_zone, items):
    return zone, other_zone


def moves_only_its_zone(zone, other, write):
    """Whether `write()` moves `zone`'s stamp and leaves `other`'s as it was."""
    before, other_before = zone_stamp(zone.zone.pk), zone_stamp(other.zone.pk)
    write()
    return zone_stamp(zone.zone.pk) != before and zone_stamp(other.zone.pk) == other_before


def test_the_stamp_is_the_same_while_nothing_is_written(both):
    zone, _ = both
    assert zone_stamp(zone.zone.pk) == zone_stamp(zone.zone.pk)


def test_saving_points_moves_the_stamp_of_that_zone_only(both):
    zone, other = both
    assert moves_only_its_zone(zone, other, lambda: score(zone.a1, 2025, 1, 10))


def test_changing_a_note_alone_moves_the_stamp(both, items):
    zone, other = both
    cell = Cell(zone.a1.pk, items["1.1"].pk, 3, "1")
    record_points(zone=zone.zone, year=2025, cells=[cell], user=zone.staff, reason="")

    def note():
        cell = Cell(zone.a1.pk, items["1.1"].pk, 3, "1", note="补记")
        record_points(zone=zone.zone, year=2025, cells=[cell], user=zone.staff, reason="")

    assert moves_only_its_zone(zone, other, note)


def test_a_bulk_update_of_organizations_moves_the_stamp(both):
    zone, other = both
    assert moves_only_its_zone(
        zone, other, lambda: Organization.objects.filter(pk=zone.a2.pk).update(short_name="甲二")
    )


def test_a_new_organization_and_a_tier_move_the_stamp(both):
    zone, other = both
    assert moves_only_its_zone(zone, other, lambda: make_org(zone.com_a, "A-3", "甲三支部"))
    assert moves_only_its_zone(zone, other, lambda: set_tier(zone.a2, 2026, "A"))


def test_closing_a_month_and_publishing_a_notice_move_the_stamp(both):
    zone, other = both
    score(zone.a1, 2025, 1, 10)
    assert moves_only_its_zone(
        zone, other, lambda: close_month(zone=zone.zone, year=2025, month=2, user=zone.staff)
    )
    assert moves_only_its_zone(zone, other, lambda: publish_first_quarter(zone))


def test_a_rectification_step_moves_the_stamp(both):
    zone, other = both
    score(zone.a1, 2025, 1, 10)
    publish_first_quarter(zone)
    task = Rectification.objects.get(warning__organization=zone.a1)
    assert moves_only_its_zone(
        zone,
        other,
        lambda: submit_rectification(rectification=task, user=zone.secretary, report="已整改"),
    )


def test_marking_a_month_done_moves_the_stamp(both):
    zone, other = both
    assert moves_only_its_zone(
        zone,
        other,
        lambda: mark_done(
            zone=zone.zone, organizations=[zone.a2], year=2025, month=2, user=zone.staff
        ),
    )


def test_a_reloaded_grid_shows_a_value_saved_after_the_first_load(zone, items, login):
    client = login(zone.staff)
    url = reverse("scoring:grid", args=[2025, 3])
    assert 'value="1.5"' not in client.get(url).content.decode()
    cell = Cell(zone.a1.pk, items["2.1"].pk, 3, "1.5")
    record_points(zone=zone.zone, year=2025, cells=[cell], user=zone.staff, reason="")
    assert 'value="1.5"' in client.get(url).content.decode()


def test_cached_content_carries_each_requests_own_csrf_token(zone, items):
    client = Client(enforce_csrf_checks=True)
    client.force_login(zone.staff)
    url = reverse("scoring:grid", args=[2025, 3])
    client.get(url)
    cached = client.get(url).content.decode()  # from the cache
    assert fragments.CSRF_MARKER not in cached
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached).group(1)
    response = client.post(reverse("scoring:close", args=[2025, 3]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Period.objects.get(zone=zone.zone, year=2025, month=3).closed


def test_a_committee_viewer_never_gets_the_offices_cached_warnings(zone, rule_set, login):
    score(zone.b1, 2025, 1, 10)  # outside the viewer's committee
    url = reverse("scoring:warnings", args=[2025, 1])
    assert "乙一支部" in login(zone.staff).get(url).content.decode()
    assert "乙一支部" not in login(zone.viewer).get(url).content.decode()


def test_the_prepared_statement_reads_what_the_plain_one_does(both):
    zone, _ = both
    sources = tuple(stamps.SOURCES)
    with connection.cursor() as cursor:
        cursor.execute(stamps._statement(connection.vendor, sources), [zone.zone.pk] * len(sources))
        plain = cursor.fetchone()
    assert (
        zone_stamp(zone.zone.pk)
        == hashlib.blake2b(repr(plain).encode(), digest_size=16).hexdigest()
    )


def test_the_stamp_sums_a_zone_of_many_rows_without_overflowing(zone):
    from dashboard.models import CompletionMark

    orgs = [zone.a1, zone.a2, zone.b1, zone.com_a, zone.com_b]
    CompletionMark.objects.bulk_create(
        CompletionMark(organization=org, year=year, month=month)
        for org in orgs
        for year in range(1901, 2001)
        for month in range(1, 13)
    )
    before = zone_stamp(zone.zone.pk)
    mark_done(zone=zone.zone, organizations=[zone.a2], year=2025, month=2, user=zone.staff)
    assert zone_stamp(zone.zone.pk) != before
