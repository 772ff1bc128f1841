"""Accounts the office hands out: one-time passwords, secretaries' accounts and who held the
office when. The registry import and the account pages both go through here."""

import datetime
import secrets
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as reset_attempts
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import AccountEvent, AccountEventKind, Organization, Region, Role, User, Zone
from .services import Refused, set_secretary

# Read off a printed slip: no 0/O, 1/l/I look-alikes.
SLIP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ONE_TIME_LENGTH = 10  # about 49 bits: enough against guessing behind the login lockout


def one_time_password() -> str:
    return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(ONE_TIME_LENGTH))


# A one-time password is 49 random bits, not a word a person chose: at a thousand iterations
# guessing one offline still takes a GPU years, while the default million would make a zone's
# 304 new accounts take two and a half minutes to hash (0.47 s each here). Django hashes it
# again at full strength when it is used to log in, and the user replaces it at once.
ONE_TIME_ITERATIONS = 1000


def one_time_hash(password: str) -> str:
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ITERATIONS)
    return make_password(password)


def issue_one_time_password(*, user: User) -> str:
    """Give `user` a new one-time password and return it in clear, the only time it exists
    in clear (only its hash is stored); every page asks for a new password until it is
    changed."""
    password = one_time_password()
    user.password = one_time_hash(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return password


@transaction.atomic
def open_secretary_account(
    *, organization: Organization, name: str, phone: str, by: User | None
) -> tuple[User, str | None]:
    """The secretary account of `organization` for the person `name` with mobile `phone`
    (the username, by rule): linked if it exists, created with a one-time password if not.
    Returns the account and its one-time password (None for an existing account)."""
    user = User.objects.filter(username=phone).first()
    password = None
    if user is None:
        user = User.objects.create_user(
            username=phone,
            last_name=name,
            phone=phone,
            role=Role.SECRETARY,
            zone=organization.zone,
        )
        password = issue_one_time_password(user=user)
        record(user=user, kind=AccountEventKind.CREATED, by=by, detail=organization.name)
    elif user.role != Role.SECRETARY or user.zone_id != organization.zone_id:
        raise Refused(f"手机号 {phone} 已是本区以外或非书记角色的账号，不能作为本组织书记。")
    elif user.last_name != name or user.first_name:
        user.last_name, user.first_name = name, ""
        user.save(update_fields=["last_name", "first_name"])
    set_secretary(organization=organization, user=user, by=by)
    return user, password


def record(*, user: User, kind: str, by: User | None, detail: str = "") -> None:
    AccountEvent.objects.create(user=user, kind=kind, by=by, detail=detail[:200])


@transaction.atomic
def create_account(
    *,
    zone: Zone | None,
    region: Region | None = None,
    role: str,
    name: str,
    username: str,
    phone: str,
    committee: Organization | None,
    by: User,
) -> tuple[User, str]:
    """An account other than a secretary's (those are opened for their organization,
    `open_secretary_account`): of `zone`, or of no zone (a city or province viewer of
    `region`, a platform administrator), with a one-time password, returned in clear."""
    user = User.objects.create_user(
        username=username,
        last_name=name,
        phone=phone,
        role=role,
        zone=zone,
        region=region,
        committee=committee,
    )
    password = issue_one_time_password(user=user)
    record(user=user, kind=AccountEventKind.CREATED, by=by)
    return user, password


def locked_attempts() -> QuerySet[AccessAttempt]:
    """The failed sign-ins that lock an account now (django-axes: enough failures, from one
    address, within the cool-off)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    )


def is_locked(user: User) -> bool:
    return locked_attempts().filter(username=user.get_username()).exists()


@transaction.atomic
def unlock(*, user: User, by: User) -> bool:
    """Forget the account's failed sign-ins, from every address; whether any locked it."""
    was_locked = is_locked(user)
    reset_attempts(username=user.get_username())
    if was_locked:
        record(user=user, kind=AccountEventKind.UNLOCKED, by=by)
    return was_locked


@transaction.atomic
def reset_password(*, user: User, by: User) -> str:
    """A new one-time password for `user`, returned in clear for its slip. The old password
    and every session signed in with it end; a lockout ends too, since whoever asked for a
    new password is the one who was locked out."""
    reset_attempts(username=user.get_username())
    password = issue_one_time_password(user=user)
    record(user=user, kind=AccountEventKind.PASSWORD_RESET, by=by)
    return password


@transaction.atomic
def set_active(*, user: User, active: bool, by: User) -> list[Organization]:
    """Deactivate (no sign-in, its sessions end with their next request) or reactivate
    `user`. A deactivated secretary leaves their organization: its term closes and it has
    no secretary until the office names one. Returns the organizations left."""
    left = []
    if not active:
        left = list(Organization.objects.filter(secretary=user))
        for organization in left:
            set_secretary(organization=organization, user=None, by=by)
    user.is_active = active
    user.save(update_fields=["is_active"])
    kind = AccountEventKind.REACTIVATED if active else AccountEventKind.DEACTIVATED
    record(user=user, kind=kind, by=by, detail="、".join(o.name for o in left))
    return left


@transaction.atomic
def save_account(*, form: Any, by: User) -> User:
    """Save a valid AccountForm, noting what changed."""
    changed = "、".join(str(form.fields[name].label) for name in form.changed_data)
    user = form.save()
    if changed:
        record(user=user, kind=AccountEventKind.EDITED, by=by, detail=changed)
    return user


@transaction.atomic
def change_secretary(
    *,
    organization: Organization,
    name: str,
    phone: str,
    term_ends_on: datetime.date | None,
    by: User,
) -> tuple[User, str | None]:
    """换届: the person `name` with mobile `phone` becomes the organization's secretary (their
    account opened or, by the phone, linked and if need be reactivated); the previous
    secretary's term closes and their access ends with their next request. Returns the
    account and its one-time password (None for an existing account)."""
    existing = User.objects.filter(username=phone, is_active=False).first()
    if existing is not None and existing.role == Role.SECRETARY:
        set_active(user=existing, active=True, by=by)
    user, password = open_secretary_account(
        organization=organization, name=name, phone=phone, by=by
    )
    if term_ends_on and term_ends_on != organization.term_ends_on:
        organization.term_ends_on = term_ends_on
        Organization.objects.filter(pk=organization.pk).update(term_ends_on=term_ends_on)
    return user, password
