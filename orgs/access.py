"""Who may see or change what: the one place scoping is decided.

Everything a user reaches hangs off an organization, and `visible_organizations` says which
organizations a user may read. Per-object helpers here fetch an object only through that
scope. Outsiders get 404 (an object outside your scope does not exist for you), read-only users
trying to write get 403, anonymous users are sent to the login page by `login_required`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from .models import Organization, OrganizationQuerySet, Role, User

M = TypeVar("M", bound=Model)


def visible_organizations(user: User) -> OrganizationQuerySet:
    """Every organization `user` may read."""
    qs = Organization.objects.all()
    if user.is_office:
        return qs
    if user.role == Role.COMMITTEE and user.committee_id:
        return qs.in_subtree(user.committee)
    if user.role == Role.SECRETARY:
        return qs.filter(secretary=user)
    return qs.none()


def get_organization(user: User, pk: int, *, write: bool = False) -> Organization:
    """The organization `pk` if `user` may see it (404 otherwise); with `write`, 403 unless the
    user is office staff."""
    if user.role == Role.SECRETARY:
        # The secretary's page is the most visited of all: one plain statement, no query
        # building, for the same rule as visible_organizations (a test holds them equal).
        table = Organization._meta.db_table
        sql = f"SELECT * FROM {table} WHERE id = %s AND secretary_id = %s"
        org = next(iter(Organization.objects.raw(sql, [pk, user.pk])), None)
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


def _role_required(check: Callable[[User], bool], message: str) -> Callable[[Any], Any]:
    def decorator(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


office_required = _role_required(lambda u: u.is_office, "此功能仅限党建办工作人员使用。")
admin_required = _role_required(lambda u: u.is_admin, "此功能仅限管理员使用。")
reader_required = _role_required(
    lambda u: u.is_office or u.role == Role.COMMITTEE, "此功能仅限党建办和党委查看账号使用。"
)
