"""Who may see or change what: the one place scoping is decided.

Everything a user reaches hangs off an organization, and `visible_organizations` says which
organizations a user may read: a zone's office its zone, a committee viewer its subtree, a
secretary their own organization, a city or province viewer every zone of its region. Pages
of a zone (the grid, warnings, grading, rule sets) work on `request.zone`: the user's own zone,
or for cross-zone readers the zone they chose to look at. Per-object helpers fetch an object
only through the user's scope. Outsiders get 404 (an object outside your scope does not exist
for you), read-only users trying to write get 403, anonymous users are sent to the login page.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from .models import (
    ZONE_ROLES,
    Organization,
    OrganizationQuerySet,
    Role,
    User,
    UserQuerySet,
    Zone,
    ZoneQuerySet,
)

M = TypeVar("M", bound=Model)


def visible_zones(user: User) -> ZoneQuerySet:
    """Every zone `user` may read."""
    zones = Zone.objects.all()
    if user.role == Role.PLATFORM:
        return zones
    if user.role == Role.REGION and user.region_id:
        return zones.in_region(user.region)
    if user.zone_id:
        return zones.filter(pk=user.zone_id)
    return zones.none()


# Scopes that apps built on the registry define for roles of their own ({role: function of
# the user returning the organizations it may read}): the guidance station's instructors read
# the organizations they are assigned to, which only that app knows.
SCOPES: dict[str, Callable[[User], OrganizationQuerySet]] = {}


def visible_organizations(user: User) -> OrganizationQuerySet:
    """Every organization `user` may read."""
    qs = Organization.objects.all()
    if user.role in SCOPES:
        return SCOPES[user.role](user).in_zone(user.zone_id)
    if user.is_office:
        return qs.in_zone(user.zone_id)
    if user.role == Role.COMMITTEE and user.committee_id:
        return qs.in_subtree(user.committee).in_zone(user.zone_id)
    if user.role == Role.SECRETARY:
        return qs.filter(secretary=user, zone=user.zone_id)
    if user.reads_across_zones:
        return qs.filter(zone__in=visible_zones(user).values("pk"))
    return qs.none()


CHOSEN_ZONE = "zone"  # the session key of the zone a cross-zone reader looks at


def choose_zone(request: HttpRequest, zone: Zone) -> None:
    """Remember which of their zones a cross-zone reader looks at."""
    request.session[CHOSEN_ZONE] = zone.pk


def current_zone(request: HttpRequest) -> Zone | None:
    """The zone whose pages `request` works on: the user's own, or the one a cross-zone
    reader chose (if it is still theirs to read)."""
    user: Any = request.user
    if user.zone_id:
        return user.zone
    chosen = request.session.get(CHOSEN_ZONE)
    if chosen and user.reads_across_zones:
        return visible_zones(user).filter(pk=chosen).first()
    return None


def get_organization(user: User, pk: int, *, write: bool = False) -> Organization:
    """The organization `pk` if `user` may see it (404 otherwise); with `write`, 403 unless the
    user is office staff."""
    if user.role == Role.SECRETARY:
        # The secretary's page is the most visited of all: one plain statement, no query
        # building, for the same rule as visible_organizations (a test holds them equal).
        table = Organization._meta.db_table
        sql = f"SELECT * FROM {table} WHERE id = %s AND secretary_id = %s AND zone_id = %s"
        org = next(iter(Organization.objects.raw(sql, [pk, user.pk, user.zone_id])), None)
    else:
        org = visible_organizations(user).filter(pk=pk).first()
    if org is None:
        raise Http404("没有这个党组织，或您无权查看。")
    if write:
        require_office(user)
    return org


def get_organization_for_registry(user: User, pk: int) -> Organization:
    """Editing the registry itself is the administrator's job."""
    org = get_organization(user, pk)
    if not user.is_admin:
        raise PermissionDenied("只有管理员可以修改组织信息。")
    return org


# Accounts. A zone's office keeps the accounts of its people, and of no other zone's: the
# office's staff run the onboarding of the field (secretaries, instructors: create, reset,
# unlock, 换届); the administrator also keeps the office's own accounts (staff, committee
# viewers, administrators). The platform administrator creates a zone's first administrator.
STAFF_MANAGED = (Role.SECRETARY, Role.INSTRUCTOR)


# The platform administrator keeps the accounts above the zones (city and province viewers,
# platform administrators) and every zone's administrators: a zone whose only administrator
# is locked out or forgot the password is brought back from there.
PLATFORM_MANAGED = (Role.ADMIN, Role.REGION, Role.PLATFORM)


def manageable_roles(user: User) -> tuple[str, ...]:
    """The roles of the accounts `user` may create and change."""
    if user.is_admin:
        return ZONE_ROLES
    if user.role == Role.STAFF:
        return STAFF_MANAGED
    if user.is_platform:
        return PLATFORM_MANAGED
    return ()


def visible_accounts(user: User) -> UserQuerySet:
    """The accounts `user` may list: every account of an office's zone; for the platform,
    the accounts it keeps."""
    if user.is_office:
        return User.objects.filter(zone=user.zone_id)
    if user.is_platform:
        return User.objects.filter(role__in=PLATFORM_MANAGED)
    return User.objects.none()


def get_account(user: User, pk: int) -> User:
    """The account `pk` for `user` to change: 404 outside the user's zone, 403 if its role
    is not one the user manages."""
    account = visible_accounts(user).filter(pk=pk).first()
    if account is None:
        raise Http404("没有这个账号，或您无权查看。")
    if account.role not in manageable_roles(user):
        raise PermissionDenied("党建办、党委查看和管理员账号由管理员管理。")
    return account


def in_scope(user: User, objects: QuerySet[M]) -> QuerySet[M]:
    """The rows of `objects` that hang off an organization `user` may see. A model says how it
    hangs off one in its `organization_lookup` (e.g. "warning__organization")."""
    lookup = objects.model.organization_lookup  # type: ignore[attr-defined]
    return objects.filter(**{f"{lookup}__in": visible_organizations(user).values("pk")})


def get_in_scope(user: User, objects: QuerySet[M], pk: Any, *, missing: str) -> M:
    """The object `pk` of `objects` if `in_scope` for `user`; 404 with `missing` otherwise."""
    obj = in_scope(user, objects).filter(pk=pk).first()
    if obj is None:
        raise Http404(missing)
    return obj


def is_secretary_of(user: User, organization: Organization) -> bool:
    """Whether `user` is the organization's own secretary: the one who reports for it."""
    return user.role == Role.SECRETARY and organization.secretary_id == user.pk


def require_secretary_of(user: User, organization: Organization, message: str) -> None:
    if not is_secretary_of(user, organization):
        raise PermissionDenied(message)


def require_office(user: User, message: str = "您的账号只能查看，不能修改。") -> None:
    if not user.is_office:
        raise PermissionDenied(message)


def is_reader(user: User) -> bool:
    """Who reads a zone's lists (warnings, grading, rectifications): its office, its committee
    viewers, and the city, province and platform accounts above it."""
    return user.is_office or user.role == Role.COMMITTEE or user.reads_across_zones


def _zone_page(check: Callable[[User], bool] | None, message: str) -> Callable[[Any], Any]:
    """A page of one zone: sign-in required, the role checked, `request.zone` set. A
    cross-zone reader who has not chosen a zone is sent to choose one."""

    def decorator(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if check is not None and not check(request.user):
                raise PermissionDenied(message)
            request.zone = current_zone(request)
            if request.zone is None:
                if request.user.reads_across_zones:
                    messages.info(request, "请先选择要查看的开发区。")
                    return redirect("orgs:zones")
                raise PermissionDenied("您的账号没有所属的开发区，请联系管理员。")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


zone_required = _zone_page(None, "")
office_required = _zone_page(lambda u: u.is_office, "此功能仅限党建办工作人员使用。")
admin_required = _zone_page(lambda u: u.is_admin, "此功能仅限管理员使用。")
reader_required = _zone_page(is_reader, "此功能仅限党建办和党委、市/省级查看账号使用。")


def _role_required(check: Callable[[User], bool], message: str) -> Callable[[Any], Any]:
    """A page of no single zone: sign-in required and the role checked."""

    def decorator(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# The deployment's own pages (zones and their first administrators), and the pages that
# compare zones.
platform_required = _role_required(lambda u: u.is_platform, "此功能仅限平台管理员使用。")
# The account pages: a zone's office for its zone, the platform above the zones.
accounts_required = _role_required(
    lambda u: u.is_office or u.is_platform, "此功能仅限党建办、管理员和平台管理员使用。"
)
cross_zone_required = _role_required(
    lambda u: u.reads_across_zones, "此功能仅限市/省级查看和平台管理员使用。"
)
