"""Accounts the office hands out: one-time passwords, secretaries' accounts and who held the
office when. The registry import and the account pages both go through here."""

import secrets

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.db import transaction

from .models import Organization, Role, User
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
    elif user.role != Role.SECRETARY or user.zone_id != organization.zone_id:
        raise Refused(f"手机号 {phone} 已是本区以外或非书记角色的账号，不能作为本组织书记。")
    elif user.last_name != name or user.first_name:
        user.last_name, user.first_name = name, ""
        user.save(update_fields=["last_name", "first_name"])
    set_secretary(organization=organization, user=user, by=by)
    return user, password
