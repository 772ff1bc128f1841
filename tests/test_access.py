"""orgs.access: the one place that decides who reaches what."""

import contextlib

import pytest
from django.http import Http404

from orgs import access
from scoring.models import Rectification

ROLES = ("admin", "staff", "viewer", "secretary", "outsider")


@pytest.mark.parametrize("role", ROLES)
def test_get_organization_agrees_with_visible_organizations_for_every_organization(zone, role):
    # The secretary's branch of get_organization is plain SQL for speed; it must decide
    # exactly what visible_organizations decides, for every role and organization.
    user = getattr(zone, role)
    visible = set(access.visible_organizations(user).values_list("pk", flat=True))
    reached = set()
    for org in (zone.root, zone.com_a, zone.com_b, zone.a1, zone.a2, zone.b1):
        with contextlib.suppress(Http404):
            reached.add(access.get_organization(user, org.pk).pk)
    assert reached == visible
    assert visible, f"{role} sees nothing: the check above would prove nothing"


def test_objects_are_reached_only_through_their_organizations_scope(zone, published):
    tasks = Rectification.objects.all()
    own = Rectification.objects.get(warning__organization=zone.a1)
    other = Rectification.objects.get(warning__organization=zone.b1)
    assert access.get_in_scope(zone.secretary, tasks, own.pk, missing="无") == own
    with pytest.raises(Http404, match="无"):
        access.get_in_scope(zone.secretary, tasks, other.pk, missing="无")
    viewer_tasks = access.in_scope(zone.viewer, tasks)
    assert own in viewer_tasks and other not in viewer_tasks
    assert access.in_scope(zone.staff, tasks).count() == tasks.count()


def test_only_an_organizations_own_secretary_reports_for_it(zone):
    assert access.is_secretary_of(zone.secretary, zone.a1)
    assert not access.is_secretary_of(zone.outsider, zone.a1)
    assert not access.is_secretary_of(zone.staff, zone.a1)
