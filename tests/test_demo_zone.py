from io import StringIO

from django.core.management import call_command

from orgs.models import CoveredUnit, Organization, Role, Sector, User


def run(seed=2026):
    call_command("load_demo_zone", seed=seed, stdout=StringIO())


def test_it_loads_304_organizations_covering_582_units(db):
    run()
    scored = Organization.objects.scored()
    assert scored.count() == 304
    assert CoveredUnit.objects.count() == 582
    assert set(scored.values_list("sector", flat=True)) == set(Sector.values)
    assert scored.filter(is_demo_point=True).count() == 29
    assert set(scored.tier_counts(2026)) == {"A", "B", "C"}
    assert not scored.filter(secretary__isnull=True).exists()


def test_it_creates_an_account_for_every_role(db):
    run()
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(username="viewer").committee.depth == 2


def test_it_is_idempotent(db):
    run()
    run()
    assert Organization.objects.count() == 305
    assert CoveredUnit.objects.count() == 582


def test_it_is_deterministic_for_a_seed(db):
    run(seed=7)
    first = list(Organization.objects.values_list("code", "name", "member_count"))
    User.objects.all().delete()
    Organization.objects.all().delete()
    run(seed=7)
    assert list(Organization.objects.values_list("code", "name", "member_count")) == first
