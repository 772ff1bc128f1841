"""Recorded state changes: each step saves who took it, when and why, in the object's history."""

from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


class Refused(Exception):
    """An operation that cannot be done now; the message says why, in Chinese."""


def locked_or_new(model: type[M], **key: Any) -> M:
    """The row with `key`, locked for this transaction, or a new unsaved one (whose first save
    is then its first history record)."""
    return model._default_manager.select_for_update().filter(**key).first() or model(**key)


def save_step(obj: M, user: Any, reason: str) -> M:
    """Save a change of state with who, when and why in its history (the model has
    `changed_by`, `changed_at` and simple-history's records)."""
    obj.changed_by, obj.changed_at = user, timezone.now()  # type: ignore[attr-defined]
    obj._history_user = user  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
    return obj
