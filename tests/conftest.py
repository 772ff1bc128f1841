import datetime
from types import SimpleNamespace

import pytest

from orgs.models import (
    Kind,
    Organization,
    Region,
    RegionKind,
    Role,
    Sector,
    TierSource,
    User,
    Zone,
)
from orgs.services import assign_tier

PASSWORD = "a-long-test-password"


def make_user(username, role, **extra):
    user = User(username=username, role=role, last_name="测", first_name=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_org(parent, code, name=None, *, kind=Kind.BRANCH, sector=Sector.NON_PUBLIC, **extra):
    """An organization under `parent` (in its zone), or with parent None the root of the zone
    given as `zone=`."""
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
    assign_tier(
        organization=org, year=year, tier=tier, source=TierSource.INITIAL, reason="初始", user=None
    )


def build_zone():
    """A tiny zone (`zone.zone`, in the city `zone.city`): root → committees A and B; A has
    branches a1, a2; B has b1.

    The committee viewer sees A's subtree; the secretary runs a1; `outsider` runs b1.
    """
    city = Region.objects.create(name="测试市", kind=RegionKind.CITY)
    place = Zone.objects.create(code="ROOT", name="测试开发区", region=city)
    root = make_org(
        None, "ROOT", "开发区党工委", kind=Kind.WORKING_COMMITTEE, sector=Sector.AGENCY, zone=place
    )
    com_a = make_org(root, "A", "甲党委", kind=Kind.COMMITTEE)
    com_b = make_org(root, "B", "乙党委", kind=Kind.COMMITTEE, sector=Sector.AGENCY)
    secretary = make_user("secretary", Role.SECRETARY, zone=place)
    outsider = make_user("outsider", Role.SECRETARY, zone=place)
    a1 = make_org(com_a, "A-1", "甲一支部", secretary=secretary)
    a2 = make_org(com_a, "A-2", "甲二支部", sector=Sector.SOCIAL)
    b1 = make_org(com_b, "B-1", "乙一支部", sector=Sector.AGENCY, secretary=outsider)
    for org, tier in ((com_a, "A"), (com_b, "B"), (a1, "A"), (a2, "C"), (b1, "B")):
        set_tier(org, 2025, tier)
    return SimpleNamespace(
        zone=place,
        city=city,
        root=root,
        com_a=com_a,
        com_b=com_b,
        a1=a1,
        a2=a2,
        b1=b1,
        admin=make_user("admin", Role.ADMIN, zone=place),
        staff=make_user("staff", Role.STAFF, zone=place),
        viewer=make_user("viewer", Role.COMMITTEE, zone=place, committee=com_a),
        secretary=secretary,
        outsider=outsider,
        city_viewer=make_user("cityviewer", Role.REGION, region=city),
        platform=make_user("platform", Role.PLATFORM),
    )


@pytest.fixture
def zone(db):
    """The tiny zone of `build_zone`, built for each test."""
    return build_zone()


def build_other_zone(zone):
    """A second zone of the same city, side by side with `zone`: root → committee X → x1,
    with its own office and secretary, and the same organization codes where it can."""
    place = Zone.objects.create(code="OTHER", name="另一县区", region=zone.city)
    root = make_org(
        None, "OTHER", "另一县区委", kind=Kind.WORKING_COMMITTEE, sector=Sector.AGENCY, zone=place
    )
    com_x = make_org(root, "A", "丙党委", kind=Kind.COMMITTEE)
    secretary = make_user("xsecretary", Role.SECRETARY, zone=place)
    x1 = make_org(com_x, "A-1", "丙一支部", secretary=secretary)
    for org in (com_x, x1):
        set_tier(org, 2025, "B")
    return SimpleNamespace(
        zone=place,
        root=root,
        com_x=com_x,
        x1=x1,
        admin=make_user("xadmin", Role.ADMIN, zone=place),
        staff=make_user("xstaff", Role.STAFF, zone=place),
        secretary=secretary,
    )


@pytest.fixture
def other_zone(zone):
    """The second zone of `build_other_zone`, beside `zone`."""
    return build_other_zone(zone)


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
    from scoring.services.rulesets import create_rule_set

    return create_rule_set(zone=zone.zone, year=2025, user=zone.admin)


@pytest.fixture
def items(rule_set):
    """The rule set's items by code."""
    return {item.code: item for item in rule_set.items.all()}


def score(org, year, quarter, total, *, veto=False):
    """Record routine points (then bonus) in the quarter's first month adding up to `total`."""
    from decimal import Decimal

    from scoring.models import RuleSet
    from scoring.services.points import Cell, record_points

    rule_set = RuleSet.objects.get(zone=org.zone_id, year=year)
    month = quarter * 3 - 2
    left = Decimal(str(total))
    cells = []
    for item in rule_set.ordered_items():
        if left <= 0 or item.is_deduction:
            continue
        points = min(item.quarterly_cap, left)
        cells.append(Cell(org.pk, item.pk, month, points))
        left -= points
    assert left == 0, f"{total} is more than the rule set allows in a quarter"
    if veto:
        d2 = rule_set.items.get(code="D2")
        cells.append(Cell(org.pk, d2.pk, month, -d2.quarterly_cap))
    record_points(zone=org.zone, year=year, cells=cells, user=None, reason="测试")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def published(zone, rule_set):
    """2025 Q1 published: a1 is yellow (24), everyone else without entries is red."""
    return publish_first_quarter(zone)


def publish_first_quarter(zone):
    """Score a1 24 in 2025 Q1 and publish the quarter's notice (the 2025 rule set must exist)."""
    from scoring.services.notices import publish_notice

    score(zone.a1, 2025, 1, 24)
    return publish_notice(
        zone=zone.zone,
        year=2025,
        quarter=1,
        number=1,
        published_on=datetime.date(2025, 4, 8),
        title="关于2025年第1季度基层党组织积分预警情况的通报",
        text="正文",
        user=zone.staff,
    )


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with empty per-process caches (ranks, page fragments): ids and times
    repeat across tests whose rows were rolled back."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


# --- guidance (issue 16): the zone's guidance station.
def build_station(zone):
    """The zone's station with three groups of two instructors each (batch 第五批 from
    September 2024): `zone.instructor` (in group 1, guiding a1) and `zone.leader` (group 1's
    leader, guiding a2) have accounts, as have the head (站长, an instructor of group 2) and
    the branch secretary (站党支部书记, of group 3)."""
    from guidance.models import Batch, Employment, Group, Instructor, Origin, Station

    station = Station.objects.create(zone=zone.zone, name="测试指导站")
    batch = Batch.objects.create(
        station=station, name="第五批", starts_on=datetime.date(2024, 9, 1)
    )
    groups = [Group.objects.create(station=station, name=f"第{n}组", order=n) for n in (1, 2, 3)]
    people = {}
    for name, group, username, origin in (
        ("instructor", 0, "instructor", Origin.PROVINCE),
        ("leader", 0, "leader", Origin.CITY),
        ("head", 1, "head", Origin.DISTRICT),
        ("member2", 1, None, Origin.CITY),
        ("branch", 2, "branch", Origin.DISTRICT),
        ("member3", 2, None, Origin.PROVINCE),
    ):
        user = make_user(username, Role.INSTRUCTOR, zone=zone.zone) if username else None
        people[name] = Instructor.objects.create(
            station=station,
            name=f"指导员{name}",
            origin=origin,
            employment=Employment.FULL,
            group=groups[group],
            batch=batch,
            user=user,
        )
    people["instructor"].organizations.add(zone.a1)
    people["leader"].organizations.add(zone.a2)
    groups[0].leader = people["leader"]
    groups[0].save()
    station.head = people["head"].user
    station.branch_secretary = people["branch"].user
    station.save()
    return SimpleNamespace(station=station, batch=batch, groups=groups, **people)


@pytest.fixture
def station(zone):
    """The zone's guidance station of `build_station`."""
    return build_station(zone)


# --- end of guidance
