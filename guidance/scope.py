"""Who may do what at the guidance station, on top of orgs.access (which decides zones and
organizations): the station's pages are read by its zone's office, its instructors and the
cross-zone readers; the office manages the station; its head and the office run the roster,
meetings, decisions and month-end feedback; instructors enter their own visits and weekly
records; the group leader, the head and the branch secretary take the records' three steps."""

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render

from orgs import access
from orgs.models import Organization, OrganizationQuerySet, Role, User

from .models import Instructor, Station


def assigned_organizations(user: User) -> OrganizationQuerySet:
    """The organizations an instructor's account guides (orgs.access.SCOPES)."""
    return Organization.objects.filter(instructors__user=user, instructors__is_active=True)


def is_station_reader(user: User) -> bool:
    return user.is_office or user.role == Role.INSTRUCTOR or user.reads_across_zones


def station_page(view: Any) -> Any:
    """A page of the zone's station: `request.station` and `request.instructor` (the user's
    own instructor record, if any) set; a zone without a station says so."""

    @access.zone_required
    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if not is_station_reader(user):
            raise PermissionDenied("此功能仅限党建办、党建指导员和市/省级查看账号使用。")
        request.station = Station.objects.filter(zone=request.zone).first()
        if request.station is None:
            return render(request, "guidance/no_station.html", status=200)
        request.instructor = (
            Instructor.objects.filter(station=request.station, user=user).first()
            if user.role == Role.INSTRUCTOR
            else None
        )
        return view(request, *args, **kwargs)

    return wrapper


def may_manage(user: User, station: Station) -> bool:
    """The office, and the station's head: the roster, meetings, decisions, month-end
    feedback."""
    return user.is_office or (station.head_id is not None and station.head_id == user.pk)


def require_office(user: User) -> None:
    access.require_office(user, "此功能仅限党建办工作人员使用。")


def require_manager(user: User, station: Station) -> None:
    if not may_manage(user, station):
        raise PermissionDenied("此功能仅限党建办和站长使用。")


def require_recorder(request: Any) -> None:
    """Visits are entered by an instructor of the station or by the office."""
    if not (request.user.is_office or request.instructor is not None):
        raise PermissionDenied("走访记录由党建指导员或党建办录入。")


def get_in_station(request: Any, objects: QuerySet, pk: Any, *, missing: str, path: str) -> Any:
    """Object `pk` of `objects` if it belongs to the request's station (`path` leads from the
    object to its station); 404 otherwise."""
    obj = objects.filter(**{path: request.station}, pk=pk).first()
    if obj is None:
        raise Http404(missing)
    return obj
