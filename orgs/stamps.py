"""A zone's stamp: one value, read in one statement, that changes with every committed write to
the zone's data, so that a page fragment cached under it is never served after such a write.

Each app lists its tables that zone pages show (SOURCES, filled in its AppConfig.ready). For
each, the stamp sums the zone's rows: their number, their ids and every listed timestamp as
an exact number. A sum, not a maximum: a transaction that commits after a later one still
moves it. So every write to such a table must move a listed timestamp (auto_now fields, the
services' `changed_at`, Organization's queryset update) or add or remove rows.

The stamp is read before the data it guards: a fragment cached under it may be newer than
the stamp says, never older.
"""

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from .models import CoveredUnit, Organization, Role, SecretaryTerm, TierAssignment


@dataclass(frozen=True)
class Source:
    model: type[Model]
    # An SQL condition on the model's table (as `t`) with one %s for the zone's id.
    where: str
    # Timestamp columns that every in-place change of a row moves.
    times: tuple[str, ...] = ()


def in_zone(column: str = "zone_id") -> str:
    return f"t.{column} = %s"


def of_zone_organizations(column: str = "organization_id") -> str:
    table = Organization._meta.db_table
    return f"t.{column} IN (SELECT o.id FROM {table} o WHERE o.zone_id = %s)"


SOURCES: list[Source] = [
    Source(Organization, in_zone(), ("updated_at",)),
    Source(TierAssignment, in_zone(), ("set_at",)),
    Source(SecretaryTerm, in_zone(), ("started_at", "ended_at")),
    Source(CoveredUnit, of_zone_organizations()),
]


def register(*sources: Source) -> None:
    for source in sources:
        if source not in SOURCES:
            SOURCES.append(source)


# A timestamp's sum as exact numbers, never rounded: two writes a moment apart must not sum
# alike. PostgreSQL sums microseconds as numeric; SQLite, which keeps "YYYY-MM-DD
# HH:MM:SS[.ffffff]" and sums in 64 bits, sums the seconds and the microseconds apart.
EPOCH = {
    "postgresql": ("SUM(CAST(date_part('epoch', {0}) * 1000000 AS bigint))",),
    "sqlite": (
        "SUM(CAST(strftime('%%s', {0}) AS INTEGER))",
        "SUM(CAST(substr({0}, 21, 6) AS INTEGER))",
    ),
}


@functools.cache
def _statement(vendor: str, sources: tuple[Source, ...]) -> str:
    epoch = EPOCH[vendor]
    parts = []
    for source in sources:
        sums = ["COUNT(*)", "SUM(t.id)"] + [
            part.format("t." + column) for column in source.times for part in epoch
        ]
        joined = " || ':' || ".join(f"COALESCE({s}, 0)" for s in sums)
        parts.append(f"(SELECT {joined} FROM {source.model._meta.db_table} t WHERE {source.where})")
    return "SELECT " + ", ".join(parts)


def _prepared(sources: tuple[Source, ...]) -> str | None:
    """The name of the stamp's statement prepared on this PostgreSQL session (planning it
    costs three times what running it does), or None where sessions are not kept: SQLite, and
    PgBouncer's transaction mode, which also rules out server-side cursors."""
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return None
    sql = _statement(connection.vendor, sources)
    name = "zone_stamp_" + hashlib.blake2b(sql.encode(), digest_size=6).hexdigest()
    raw = connection.connection
    if getattr(connection, "zone_stamp_prepared", None) != (raw, name):
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE {name}(bigint) AS {sql.replace('%s', '$1')}")
        connection.zone_stamp_prepared = (raw, name)  # type: ignore[attr-defined]
    return name


def zone_stamp(zone_id: int) -> str:
    """A digest of the zone's rows in every registered table, as committed now."""
    sources = tuple(SOURCES)
    connection.ensure_connection()
    name = _prepared(sources)
    with connection.cursor() as cursor:
        if name:
            cursor.execute(f"EXECUTE {name}(%s)", [zone_id])
        else:
            cursor.execute(_statement(connection.vendor, sources), [zone_id] * len(sources))
        row = cursor.fetchone()
    return hashlib.blake2b(repr(row).encode(), digest_size=16).hexdigest()


# Readers whose pages follow from their role, zone and committee alone. An instructor's or a
# secretary's reach is their own (assignments, their organization) and is never shared.
SHARED_ROLES = (Role.ADMIN, Role.STAFF, Role.COMMITTEE, Role.REGION, Role.PLATFORM)


def zone_parts(request: Any, *args: object) -> tuple | None:
    """What a zone page's cached content depends on besides its URL's `args`: the zone's
    stamp (read first), the day (deadlines, running quarters), the reader's role and committee,
    and the query string. None for readers whose pages are not shared (never cached)."""
    user = request.user
    if user.role not in SHARED_ROLES:
        return None
    query = sorted(request.GET.lists())
    scope = (user.role, user.committee_id)
    return (zone_stamp(request.zone.pk), request.zone.pk, timezone.localdate(), scope, query, args)
