"""Secretaries' accounts, one-time passwords and who held the office when."""

import pytest

from orgs import access
from orgs.accounts import (
    ONE_TIME_LENGTH,
    SLIP_ALPHABET,
    issue_one_time_password,
    one_time_password,
    open_secretary_account,
)
from orgs.models import Role, SecretaryTerm
from orgs.services import Refused, set_secretary

from .conftest import build_zone, make_user

pytestmark = pytest.mark.django_db


def test_a_one_time_password_avoids_characters_misread_on_paper():
    password = one_time_password()
    assert len(password) == ONE_TIME_LENGTH
    assert set(password) <= set(SLIP_ALPHABET)
    assert not set("0o1lI") & set(SLIP_ALPHABET)


def test_issuing_a_one_time_password_stores_only_its_hash_and_forces_a_change():
    zone = build_zone()
    password = issue_one_time_password(user=zone.secretary)
    zone.secretary.refresh_from_db()
    assert password not in zone.secretary.password
    assert zone.secretary.check_password(password)
    assert zone.secretary.must_change_password


def test_a_new_secretary_account_is_named_by_the_phone_and_opens_a_term():
    zone = build_zone()
    user, password = open_secretary_account(
        organization=zone.a2, name="王芳", phone="13800000001", by=zone.staff
    )
    assert (user.username, user.display_name, user.role) == ("13800000001", "王芳", Role.SECRETARY)
    assert user.zone == zone.zone and user.check_password(password)
    zone.a2.refresh_from_db()
    assert zone.a2.secretary == user
    assert list(access.visible_organizations(user)) == [zone.a2]
    term = SecretaryTerm.objects.get(organization=zone.a2)
    assert (term.user, term.ended_at, term.changed_by) == (user, None, zone.staff)


def test_an_existing_account_is_linked_without_a_new_password():
    zone = build_zone()
    first, _ = open_secretary_account(
        organization=zone.a2, name="王芳", phone="13800000001", by=zone.staff
    )
    again, password = open_secretary_account(
        organization=zone.a2, name="王芳", phone="13800000001", by=zone.staff
    )
    assert again == first and password is None
    assert SecretaryTerm.objects.filter(organization=zone.a2).count() == 1


def test_a_phone_of_another_role_is_refused():
    zone = build_zone()
    make_user("13800000002", Role.STAFF, zone=zone.zone)
    with pytest.raises(Refused, match="13800000002"):
        open_secretary_account(organization=zone.a2, name="李", phone="13800000002", by=None)


def test_a_change_of_secretary_closes_the_old_term_and_ends_the_old_access():
    zone = build_zone()
    old = zone.secretary
    set_secretary(organization=zone.a1, user=old, by=zone.staff)
    new = make_user("new", Role.SECRETARY, zone=zone.zone)
    set_secretary(organization=zone.a1, user=new, by=zone.staff)
    terms = SecretaryTerm.objects.filter(organization=zone.a1).order_by("pk")
    assert [(t.user, t.ended_at is None) for t in terms] == [(old, False), (new, True)]
    assert not access.visible_organizations(old).exists()
    assert list(access.visible_organizations(new)) == [zone.a1]


def test_a_secretary_moved_to_another_organization_leaves_the_first():
    zone = build_zone()
    set_secretary(organization=zone.a2, user=zone.secretary, by=None)
    zone.a1.refresh_from_db()
    assert zone.a1.secretary is None
    assert list(access.visible_organizations(zone.secretary)) == [zone.a2]
