"""The registry's writes that touch more than one row."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from . import signals
from .models import (
    Kind,
    Organization,
    Role,
    SecretaryTerm,
    Sector,
    TierAssignment,
    User,
    Zone,
    ZoneMove,
)


class Refused(Exception):
    """A registry change that cannot be made; the message says why, in Chinese."""


def save_organization(*, form, units):
    """Save a validated organization form and its covered-unit formset in one transaction,
    placing the organization in the tree. Returns the organization, or None after adding a
    form error when the database refuses it (a code taken meanwhile by someone else)."""
    org = form.save(commit=False)
    parent = form.cleaned_data.get("parent")
    is_new = org.pk is None
    try:
        with transaction.atomic():
            if is_new:
                Organization.objects.add_child(parent, instance=org)
            else:
                org.save()
                if parent is not None and org.parent() != parent:
                    Organization.objects.move(org, parent, "last-child")
            units.instance = org
            units.save()
    except IntegrityError:
        if is_new:
            org.pk = None
        form.add_error(
            None, "保存时组织编码或统一社会信用代码刚被他人占用，未作任何修改，请检查后重试。"
        )
        return None
    return org


@transaction.atomic
def set_secretary(*, organization: Organization, user: User | None, by: User | None) -> None:
    """Make `user` the secretary of `organization` (None unlinks), closing the previous
    secretary's term: their access to the organization ends with their next request."""
    if user is not None:
        set_secretaries(pairs=[(organization, user)], by=by)
        return
    SecretaryTerm.objects.filter(organization=organization, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    organization.secretary = None
    Organization.objects.filter(pk=organization.pk).update(secretary=None)


@transaction.atomic
def set_secretaries(*, pairs: list[tuple[Organization, User]], by: User | None) -> None:
    """`set_secretary` for many (organization, user) pairs at once, in the same few queries
    however many there are. A pair whose user already holds the office is left as it is;
    otherwise the organization's open term and the user's open term elsewhere close (the user
    leaves that organization), and a new term opens."""
    held = dict(
        SecretaryTerm.objects.filter(
            organization__in=[o.pk for o, _ in pairs], ended_at__isnull=True
        ).values_list("organization", "user")
    )
    pairs = [(o, u) for o, u in pairs if held.get(o.pk) != u.pk]
    if not pairs:
        return
    now = timezone.now()
    organizations, users = [o.pk for o, _ in pairs], [u.pk for _, u in pairs]
    SecretaryTerm.objects.filter(ended_at__isnull=True).filter(
        Q(organization__in=organizations) | Q(user__in=users)
    ).update(ended_at=now)
    # Unlinked first: the secretary field is one-to-one, and a user may move between two of
    # the organizations.
    Organization.objects.filter(
        Q(pk__in=organizations, secretary__isnull=False) | Q(secretary__in=users)
    ).update(secretary=None)
    SecretaryTerm.objects.bulk_create(
        (
            SecretaryTerm(organization=o, zone_id=o.zone_id, user=u, started_at=now, changed_by=by)
            for o, u in pairs
        ),
        batch_size=1000,
    )
    # The secretary is the holder of the open term: one statement for all of them.
    holder = SecretaryTerm.objects.filter(organization=OuterRef("pk"), ended_at__isnull=True)
    Organization.objects.filter(pk__in=organizations).update(
        secretary=Subquery(holder.values("user")[:1])
    )
    for organization, user in pairs:
        organization.secretary = user


def assign_tier(*, organization, year, tier, source, reason, user):
    return TierAssignment.objects.create(
        organization=organization,
        zone_id=organization.zone_id,
        year=year,
        tier=tier,
        source=source,
        reason=reason,
        set_by=user,
    )


@transaction.atomic
def create_zone(
    *,
    name: str,
    code: str,
    region,
    root_name: str,
    root_short_name: str,
    root_members: int,
    root_founded_on: datetime.date,
    admin_username: str,
    admin_name: str,
    admin_password: str,
) -> Zone:
    """A new zone with its working committee as the root of its tree and its first
    administrator, who builds the rest (registry, rule sets, accounts)."""
    zone = Zone.objects.create(name=name, code=code, region=region)
    Organization.objects.add_root(
        instance=Organization(
            zone=zone,
            name=root_name,
            short_name=root_short_name,
            code=code,
            kind=Kind.WORKING_COMMITTEE,
            sector=Sector.AGENCY,
            member_count=root_members,
            founded_on=root_founded_on,
        )
    )
    admin = User(
        username=admin_username,
        role=Role.ADMIN,
        zone=zone,
        last_name=admin_name[:1],
        first_name=admin_name[1:],
    )
    admin.set_password(admin_password)
    # The platform chose this password: like a slip's, it opens only the password change.
    admin.must_change_password = True
    admin.save()
    return zone


@transaction.atomic
def move_to_zone(
    *, organization: Organization, parent: Organization, reason: str, user
) -> ZoneMove:
    """Move `organization` and everything below it under `parent` in another zone, with the
    accounts that work on them; kept as a ZoneMove with its reason. Apps that keep data per
    zone may refuse the move (signals.before_zone_move)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("跨区转移必须填写原因")
    from_zone, to_zone = organization.zone, parent.zone
    if from_zone == to_zone:
        raise Refused("目标上级组织在同一开发区内；区内调整请在编辑页面修改上级组织")
    if organization.depth == 1:
        raise Refused("党工委是开发区组织树的根，不能转移")
    if parent.kind not in (Kind.WORKING_COMMITTEE, Kind.COMMITTEE, Kind.GENERAL_BRANCH):
        raise Refused("目标上级组织只能是党工委、党委或党总支")
    clash = Organization.objects.in_zone(to_zone).filter(
        code__in=Organization.objects.in_subtree(organization).values("code")
    )
    if clash.exists():
        codes = "、".join(clash.values_list("code", flat=True)[:5])
        raise Refused(f"目标开发区已有相同编码的组织：{codes}")
    signals.before_zone_move.send(Organization, organization=organization, to_zone=to_zone)
    Organization.objects.move(organization, parent, "last-child")
    moved = Organization.objects.in_subtree(Organization.objects.get(pk=organization.pk))
    pks = list(moved.values_list("pk", flat=True))
    moved.update(zone=to_zone)
    TierAssignment.objects.filter(organization__in=pks).update(zone=to_zone)
    SecretaryTerm.objects.filter(organization__in=pks).update(zone=to_zone)
    # The secretaries and committee viewers of the moved organizations work in the new zone.
    User.objects.filter(secretary_of__in=pks).update(zone=to_zone)
    User.objects.filter(committee__in=pks).update(zone=to_zone)
    signals.after_zone_move.send(Organization, organizations=pks)
    return ZoneMove.objects.create(
        organization=organization,
        from_zone=from_zone,
        to_zone=to_zone,
        reason=reason,
        moved_by=user,
    )
