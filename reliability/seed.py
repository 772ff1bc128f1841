"""The run's small zone, written through the app's own services so that every row is one
the app could have written: `python -m reliability.seed` prints what the sections need as
JSON. (load_demo_zone would do, but takes 40 s; this takes a second or two.)

Last year's rule set; its first quarter scored and published (so that the notice export has
a notice); the months after it stay open for the sections to write into.
"""

import datetime
import json
import os
import sys
from decimal import Decimal

import django

BRANCHES_PER_COMMITTEE = 6
STAFF_ACCOUNTS = 24


def seed(password: str) -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from orgs.models import Kind, Organization, Role, Sector, TierSource, User, Zone
    from orgs.services import assign_tier
    from scoring.models import ItemKind
    from scoring.services.notices import publish_notice
    from scoring.services.points import Cell, record_points
    from scoring.services.rulesets import create_rule_set

    year = timezone.localdate().year - 1
    zone = Zone.objects.create(code="REL", name="可靠性测试区")
    # One hash for every account: hashing is deliberately slow, and it is one password.
    hashed = make_password(password)
    admin = User.objects.create(username="rel-admin", role=Role.ADMIN, zone=zone, password=hashed)
    staff = [
        User.objects.create(
            username=f"rel-staff-{n:02d}",
            role=Role.STAFF,
            zone=zone,
            password=hashed,
            last_name="压",
            first_name=f"测{n}",
        )
        for n in range(1, STAFF_ACCOUNTS + 1)
    ]

    def organization(parent, code, name, kind, sector):
        org = Organization(
            zone=zone,
            code=code,
            name=name,
            short_name=name[:40],
            kind=kind,
            sector=sector,
            member_count=12,
            founded_on=datetime.date(2010, 5, 1),
        )
        if parent is None:
            return Organization.objects.add_root(instance=org)
        return Organization.objects.add_child(parent, instance=org)

    root = organization(None, "REL", "可靠性测试区党工委", Kind.WORKING_COMMITTEE, Sector.AGENCY)
    scored = []
    for c, sector in enumerate((Sector.NON_PUBLIC, Sector.AGENCY), start=1):
        committee = organization(root, f"REL-{c}", f"测试{c}党委", Kind.COMMITTEE, sector)
        scored.append(committee)
        for b in range(1, BRANCHES_PER_COMMITTEE + 1):
            code = f"REL-{c}-{b}"
            scored.append(organization(committee, code, f"测试{c}-{b}党支部", Kind.BRANCH, sector))
    User.objects.create(
        username="rel-viewer",
        role=Role.COMMITTEE,
        zone=zone,
        committee=scored[0],
        password=hashed,
    )
    for n, org in enumerate(scored):
        assign_tier(
            organization=org,
            year=year,
            tier="ABC"[n % 3],
            source=TierSource.INITIAL,
            reason="初始",
            user=None,
        )

    rule_set = create_rule_set(zone=zone, year=year, user=admin)
    items = rule_set.ordered_items()
    routine = [i for i in items if i.kind == ItemKind.ROUTINE and i.quarterly_cap >= 1]
    # The first quarter: totals from 14 to 27 across the zone, so the notice warns some.
    for n, org in enumerate(scored):
        left = Decimal(14 + n % 14)
        cells = []
        for item in items:
            if item.kind != ItemKind.ROUTINE or left <= 0:
                continue
            points = min(item.quarterly_cap, left)
            cells.append(Cell(org.pk, item.pk, 1 + len(cells) % 3, points))
            left -= points
        record_points(zone=zone, year=year, cells=cells, user=staff[0], reason="可靠性测试初始数据")
    publish_notice(
        zone=zone,
        year=year,
        quarter=1,
        number=1,
        published_on=datetime.date(year, 4, 10),
        title=f"关于{year}年第1季度基层党组织积分预警情况的通报",
        text="可靠性测试",
        user=staff[0],
    )
    return {
        "year": year,
        "organizations": [{"id": o.pk, "code": o.code} for o in scored if o.depth == 3],
        "items": [i.pk for i in routine],
        "staff": [u.username for u in staff],
        "published_quarter": 1,
    }


if __name__ == "__main__":
    django.setup()
    from django.db import transaction

    with transaction.atomic():
        facts = seed(os.environ["RELIABILITY_PASSWORD"])
    json.dump(facts, sys.stdout)
