"""make reliability's access probe, fast: every URL × role × GET and POST against the
permission matrix, and each object URL with foreign ids (a few of each kind here; every
object, neighbour and oversized id in `make reliability`)."""

from reliability.probes import access

from . import test_permissions as matrix
from .test_permissions import CASES, ROLES

# The permission matrix's zones, built once for the module (its fixtures, shared here).
module_media, module_zone, private_media, zone = (
    matrix.module_media,
    matrix.module_zone,
    matrix.private_media,
    matrix.zone,
)


def test_no_role_reaches_what_it_may_not_by_any_url_method_or_id(zone):
    tally = access.probe(CASES, zone, ROLES, fast=True)

    assert tally.counts["matrix attempts"] >= len(ROLES) * 40
    assert tally.counts["foreign-id attempts"] > 500
    assert tally.counts["refused"] > tally.counts["attempts"] / 3
    assert tally.findings == []


def test_the_probe_sees_a_write_and_puts_the_data_back(zone, client):
    """A blind write detector would report no leaks whatever happened."""
    from django.urls import reverse

    from reliability.probes import checksum, rolled_back

    client.force_login(zone.staff)
    before = checksum()
    with rolled_back(client), access.writes() as written:
        client.post(reverse("scoring:tiers_confirm", kwargs={"year": 2025}))

    assert "scoring_yearstate" in written
    assert checksum() == before
