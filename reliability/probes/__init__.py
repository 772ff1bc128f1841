"""Hostile requests sent in-process through the whole Django stack (middleware, views,
templates, the database), each inside a savepoint that is rolled back after it was judged.

The same probes serve `make test` (SQLite, the permission matrix's zones, a short corpus) and
`make reliability` (PostgreSQL with production settings, the full corpus; see __main__).
Each probe returns a Tally: counts, plus the requests that broke an invariant, by name.
"""

import copy
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib import messages
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
# Tables that any request may write: who is signed in, and the login throttle's records.
BOOKKEEPING_APPS = {"sessions", "axes", "admin", "contenttypes"}
CJK = range(0x4E00, 0xA000)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    # What broke an invariant: "<kind>: <request> → <answer>", a few of each kind kept.
    findings: list[str] = field(default_factory=list)
    # What some requests were told, for the report: (request, message).
    told: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def found(self, kind: str, what: str) -> None:
        self.counts[kind] += 1
        if sum(1 for f in self.findings if f.startswith(kind)) < 5:
            self.findings.append(f"{kind}: {what}")

    def as_json(self) -> dict[str, object]:
        return {"counts": dict(self.counts), "findings": self.findings, "told": self.told}


def client() -> Client:
    """A browser that sees what a user sees: a 500 comes back as the error page instead of
    raising in the probe."""
    return Client(raise_request_exception=False)


def app_models() -> list:
    """The project's own models (every app under the checkout, those added later included),
    without Django's and third parties'."""
    return [
        model
        for model in apps.get_models()
        if (ROOT / model.__module__.split(".")[0]).is_dir()
        and model._meta.app_label not in BOOKKEEPING_APPS
        and not model._meta.proxy
    ]


def _rows() -> Iterator[tuple[str, list[tuple]]]:
    with connection.cursor() as cursor:
        for model in app_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            yield model._meta.db_table, cursor.fetchall()


def checksum() -> str:
    """A digest of every row of the project's tables: equal before and after means nothing
    was written. On PostgreSQL one statement computes it in the server."""
    tables = [m._meta.db_table for m in app_models()]
    if connection.vendor == "postgresql":
        parts = " || ".join(
            f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {name} t)"
            for name in map(connection.ops.quote_name, tables)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT md5({parts})")
            return cursor.fetchone()[0]
    digest = hashlib.sha256()
    for table, rows in _rows():
        digest.update(table.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def stored(text: str) -> bool:
    """Whether any text column of the project's tables holds `text`."""
    return any(text in v for _, rows in _rows() for row in rows for v in row if isinstance(v, str))


@contextmanager
def rolled_back(browser: Client | None = None) -> Iterator[None]:
    """A savepoint undone however the block ends: every probe request starts from the same
    data. With `browser`, its cookies are put back too (a logout among the probes would
    sign it out for the rest; its session row comes back with the rollback)."""
    cookies = copy.deepcopy(browser.cookies) if browser is not None else None
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        if browser is not None:
            browser.cookies = cookies


def has_chinese(text: str) -> bool:
    return any(ord(c) in CJK for c in text)


ERROR_MARKS = ("invalid-feedback", "alert-danger", "errorlist")
TAGS = re.compile(r"<[^>]+>")


def shown_error(text: str) -> str:
    """The words of the first error a page shows, without markup."""
    start = min(i for i in (text.find(m) for m in ERROR_MARKS) if i >= 0)
    words = TAGS.sub(" ", text[text.find(">", start) + 1 :])
    return " ".join(words.split())[:160]


def refusal(response: HttpResponse) -> str | None:
    """The message with which `response` refuses the request, or None if it did not: a page
    showing a form's errors, a 4xx page or JSON saying what is wrong, or a redirect carrying
    an error message."""
    content_type = response.get("Content-Type", "")
    body = b"" if getattr(response, "streaming", False) else response.content
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type:
        data = response.json() if body else None
        if isinstance(data, dict) and data.get("ok") is False:
            words = str(data.get("message") or data.get("errors") or "")
            return words if has_chinese(words) else None
        return None
    if 400 <= response.status_code < 500:
        return " ".join(TAGS.sub(" ", text).split())[-160:] if has_chinese(text) else None
    if response.status_code == 200 and any(mark in text for mark in ERROR_MARKS):
        return shown_error(text)
    request = getattr(response, "wsgi_request", None)
    if response.status_code == 302 and request is not None:
        queued = [m for m in messages.get_messages(request) if m.level >= messages.WARNING]
        if queued:
            return str(queued[0])
    return None
