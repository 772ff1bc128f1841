import datetime
from types import SimpleNamespace

import pytest

from orgs.models import Kind, Organization, Role, Sector, TierAssignment, TierSource, User

PASSWORD = "a-long-test-password"


def make_user(username, role, **extra):
    user = User(username=username, role=role, last_name="测", first_name=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_org(parent, code, name=None, *, kind=Kind.BRANCH, sector=Sector.NON_PUBLIC, **extra):
    org = Organization(
        code=code,
        name=name or f"{code}党支部",
        short_name=name or code,
        kind=kind,
        sector=sector,
        member_count=extra.pop("member_count", 10),
        founded_on=datetime.date(2010, 5, 1),
        **extra,
    )
    if parent is None:
        return Organization.objects.add_root(instance=org)
    return Organization.objects.add_child(parent, instance=org)


def set_tier(org, year, tier):
    TierAssignment.objects.create(
        organization=org, year=year, tier=tier, source=TierSource.INITIAL, reason="初始"
    )


@pytest.fixture
def zone(db):
    """A tiny zone: root → committees A and B; A has branches a1, a2; B has b1.

    The committee viewer sees A's subtree; the secretary runs a1; `outsider` runs b1.
    """
    root = make_org(None, "ROOT", "开发区党工委", kind=Kind.WORKING_COMMITTEE, sector=Sector.AGENCY)
    com_a = make_org(root, "A", "甲党委", kind=Kind.COMMITTEE)
    com_b = make_org(root, "B", "乙党委", kind=Kind.COMMITTEE, sector=Sector.AGENCY)
    secretary = make_user("secretary", Role.SECRETARY)
    outsider = make_user("outsider", Role.SECRETARY)
    a1 = make_org(com_a, "A-1", "甲一支部", secretary=secretary)
    a2 = make_org(com_a, "A-2", "甲二支部", sector=Sector.SOCIAL)
    b1 = make_org(com_b, "B-1", "乙一支部", sector=Sector.AGENCY, secretary=outsider)
    for org, tier in ((com_a, "A"), (com_b, "B"), (a1, "A"), (a2, "C"), (b1, "B")):
        set_tier(org, 2025, tier)
    return SimpleNamespace(
        root=root,
        com_a=com_a,
        com_b=com_b,
        a1=a1,
        a2=a2,
        b1=b1,
        admin=make_user("admin", Role.ADMIN),
        staff=make_user("staff", Role.STAFF),
        viewer=make_user("viewer", Role.COMMITTEE, committee=com_a),
        secretary=secretary,
        outsider=outsider,
    )


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rule_set(zone):
    """The default catalogue for 2025 (a past year, so no month of it is in the future)."""
    from scoring.services import create_rule_set

    return create_rule_set(year=2025, user=zone.admin)


@pytest.fixture
def items(rule_set):
    """The rule set's items by code."""
    return {item.code: item for item in rule_set.items.all()}
