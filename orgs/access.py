"""Who may see or change which organization: the one place scoping is decided.

Outsiders get 404 (an organization outside your scope does not exist for you), read-only users
trying to write get 403, anonymous users are sent to the login page by `login_required`.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Organization, Role


def visible_organizations(user):
    """Every organization `user` may read."""
    qs = Organization.objects.all()
    if user.is_office:
        return qs
    if user.role == Role.COMMITTEE and user.committee_id:
        return qs.in_subtree(user.committee)
    if user.role == Role.SECRETARY:
        return qs.filter(secretary=user)
    return qs.none()


def get_organization(user, pk, *, write=False):
    """The organization `pk` if `user` may see it (404 otherwise); with `write`, 403 unless the
    user is office staff."""
    if user.role == Role.SECRETARY:
        # The secretary's page is the most visited of all: one plain statement, no query
        # building, for the same rule as visible_organizations.
        table = Organization._meta.db_table
        sql = f"SELECT * FROM {table} WHERE id = %s AND secretary_id = %s"
        org = next(iter(Organization.objects.raw(sql, [pk, user.pk])), None)
    else:
        org = visible_organizations(user).filter(pk=pk).first()
    if org is None:
        raise Http404("没有这个党组织，或您无权查看。")
    if write and not user.is_office:
        raise PermissionDenied("您的账号只能查看，不能修改。")
    return org


def get_organization_for_registry(user, pk):
    """Editing the registry itself is the administrator's job."""
    org = get_organization(user, pk)
    if not user.is_admin:
        raise PermissionDenied("只有管理员可以修改组织信息。")
    return org


def _role_required(check, message):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
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
