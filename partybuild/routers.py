"""Reports and exports read from a replica when one is configured (DATABASE_REPLICA_URL):
they read many rows of settled data and would otherwise compete with data entry."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reporting = ContextVar("reporting", default=False)


@contextmanager
def reading_reports():
    """Within this block, reads go to the replica if there is one."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


class ReportsRouter:
    def db_for_read(self, model, **hints):
        if _reporting.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
