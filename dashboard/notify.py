"""Making notices (站内消息): one place that decides who gets what, and whether it is mailed."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from orgs.models import Role, User

from .models import Notification


@dataclass(frozen=True)
class Draft:
    """A notice to be made for `user`; `key` names a reminder and its period ("" for events)."""

    user: User
    kind: str
    title: str
    body: str
    url: str
    key: str = ""


def office_of(zone_id: int) -> QuerySet[User]:
    """The zone's office: its administrators and staff."""
    return User.objects.filter(
        zone_id=zone_id, role__in=[Role.ADMIN, Role.STAFF], is_active=True
    ).order_by("pk")


def new_drafts(drafts: Iterable[Draft]) -> list[Draft]:
    """The drafts whose reminder has not been made before (events always are new)."""
    drafts = list(drafts)
    keyed = [d for d in drafts if d.key]
    made = set(
        Notification.objects.filter(
            user__in={d.user.pk for d in keyed}, key__in={d.key for d in keyed}
        ).values_list("user_id", "key")
    )
    return [d for d in drafts if not d.key or (d.user.pk, d.key) not in made]


def create(drafts: Iterable[Draft]) -> list[Notification]:
    """Make the notices of the new drafts; a user with an e-mail address gets it mailed by
    the next send_reminders. A reminder made meanwhile by another run is skipped."""
    notices = [
        Notification(
            user=d.user,
            kind=d.kind,
            title=d.title,
            body=d.body,
            url=d.url,
            key=d.key,
            mail_pending=bool(d.user.email),
        )
        for d in new_drafts(drafts)
    ]
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    return notices
