"""Malformed values through every form of every page and through the grid's JSON save.

The forms are found, not listed: each page of the resolver is opened as each role of the
permission matrix, and every form on it is sent back with one field at a time replaced by a
corpus value (the other fields as the page filled them in). A request must never get a 5xx,
a refusal must name what is wrong in Chinese, a refused request must change no row of any
of the project's tables, and a value no text can hold (NUL, half a surrogate pair) must never
be accepted.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.urls import reverse

from reliability.probes import Tally, checksum, client, refusal, rolled_back, stored
from reliability.probes.pages import Form, forms_of, sign_in, url_names


@dataclass(frozen=True)
class Value:
    label: str
    text: str
    never_valid: bool = False  # no field may store it
    everywhere: bool = False  # sent in every field, not only in its turn

    @property
    def in_every_field(self) -> bool:
        return self.never_valid or self.everywhere


CORPUS = [
    Value("NUL", "a\x00b", True),
    # In a form it arrives as the three bytes of UTF-8 it would be, and Django reads those as
    # replacement characters; only JSON can spell it (as \\ud800), and must refuse it.
    Value("lone surrogate", "x\ud800y", True),
    Value("bell and escape", "a\x07\x1bb"),
    Value("huge text", "长" * 100_000),
    # Longer than a column of 255 characters, which PostgreSQL enforces (SQLite does not).
    Value("300 characters", "x" * 300, everywhere=True),
    Value("huge number", "9" * 5000),
    Value("empty", ""),
    Value("spaces only", "   \u3000 "),
    Value("JSON list", "[]"),
    Value("letters for a number", "abc"),
    Value("negative", "-1"),
    Value("overflow", "99999999999999999999"),
    Value("64-bit overflow", "9223372036854775808"),
    Value("negative overflow", "-2147483649"),
    Value("exponent", "1e308"),
    Value("NaN", "NaN"),
    Value("infinity", "-Infinity"),
    Value("underscore digits", "1_0"),
    Value("full-width digits", "１２"),
    Value("full-width decimal", "１．５分"),
    Value("Arabic-Indic digit", "١"),
    Value("superscript", "¹"),
    Value("bad date", "2025-02-30"),
    Value("year 0", "0000-01-01"),
    Value("year 10000", "10000-01-01"),
    Value("Chinese date", "二〇二五年三月"),
    Value("script", "<script>alert(1)</script>"),
    Value("attribute break", '"><img src=x onerror=alert(1)>'),
    Value("formula", "=1+1"),
    Value("DDE formula", "+cmd|' /C calc'!A0"),
    Value("at formula", "@SUM(A1:A9)"),
    Value("invalid UTF-8", "\udcff\udcfe"),  # surrogateescape: the raw bytes FF FE
    Value("right-to-left override", "\u202egnp.exe"),
]
FAST = {
    "NUL",
    "lone surrogate",
    "huge text",
    "300 characters",
    "letters for a number",
    "overflow",
    "64-bit overflow",
    "underscore digits",
    "bad date",
    "year 10000",
    "script",
    "formula",
    "invalid UTF-8",
}
# Who opens the pages first (the first who sees a form sends it); the matrix's other roles
# (those of apps added later too) follow.
FIRST = ("staff", "admin", "secretary", "platform")


def encoded(value: str) -> str:
    """`value` percent-encoded as UTF-8, a lone surrogate as its three bytes (as a careless
    client sends it) and a surrogate escape as its raw byte."""
    if "\udcff" in value:
        return quote(value.encode("utf-8", "surrogateescape"))
    return quote(value.encode("utf-8", "surrogatepass"))


def body(fields: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{encoded(k)}={encoded(v)}" for k, v in fields)


def field_kinds(form: Form) -> list[str]:
    """One field of each kind: the rows of a formset (`items-3-points`) are alike."""
    seen: dict[str, str] = {}
    for name, _ in form.fields:
        if name == "csrfmiddlewaretoken":
            continue
        seen.setdefault(re.sub(r"\d+", "N", name), name)
    return list(seen.values())


def page_urls(cases: list[Any], zone: Any, role: str) -> list[str]:
    """Each named URL once per set of matrix arguments that a GET row opens for `role`."""
    urls: list[str] = []
    for name in url_names():
        for case in cases:
            if case.name == name and case.method == "get" and case.expected[role] == 200:
                url = case.url(zone)
                if url not in urls:
                    urls.append(url)
    return urls


def discover(cases: list[Any], zone: Any, roles: tuple[str, ...]) -> list[tuple[str, Form]]:
    """(role, form) for every distinct form, seen by the first role that opens its page."""
    browser = client()
    found: dict[tuple[str, str, tuple[str, ...]], tuple[str, Form]] = {}
    for role in sorted(roles, key=lambda r: FIRST.index(r) if r in FIRST else len(FIRST)):
        sign_in(browser, zone, role)
        for url in page_urls(cases, zone, role):
            response = browser.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in forms_of(url, response.content.decode()):
                if not form.fields and not form.files:
                    continue
                key = (form.url_name, form.method, tuple(field_kinds(form)))
                found.setdefault(key, (role, form))
    return list(found.values())


def send(browser: Any, form: Form, fields: list[tuple[str, str]]) -> Any:
    if form.method == "get":
        return browser.get(f"{urlsplit(form.action).path}?{body(fields)}")
    return browser.post(form.action, body(fields), content_type="application/x-www-form-urlencoded")


def judge(tally: Tally, what: str, response: Any, value: Value, before: str) -> None:
    """Count one answer, and note what broke an invariant."""
    tally.add("tried")
    status = response.status_code
    if status >= 500:
        tally.found("5xx", f"{what} → {status}")
        return
    message = refusal(response)
    if message is not None:
        tally.add("refused with a message")
        if checksum() != before:
            tally.found("rows changed by a refused request", what)
        return
    if status >= 400:
        tally.found("refused without a message", f"{what} → {status}")
    elif value.never_valid and stored(value.text):
        tally.found("stored a value no field may hold", f"{what} → {status}")
    else:
        tally.add("accepted (valid for that field)")


def pairs(names: list[str], corpus: list[Value], *, method: str) -> list[tuple[str, Value]]:
    """(field, value) to send: every value of the corpus once, in the form's fields in turn
    (a form's fields are read by a handful of field types, which the rotation all meets), and
    in a form that posts, the values that break most (never valid, too long) in every field."""
    if not names:
        return []
    others = [v for v in corpus if not v.in_every_field]
    turns = max(len(others), len(names))
    rotation = [(names[n % len(names)], others[n % len(others)]) for n in range(turns)]
    if method == "get":
        return rotation  # a search holds nothing: its fields get their turn only
    # A lone surrogate cannot be sent in a form (it goes as bytes, like invalid UTF-8).
    every = [v for v in corpus if v.in_every_field and v.label != "lone surrogate"]
    return rotation + [(name, v) for name in names for v in every]


def probe_forms(cases: list[Any], zone: Any, roles: tuple[str, ...], *, fast: bool) -> Tally:
    tally = Tally()
    corpus = [v for v in CORPUS if v.label in FAST] if fast else CORPUS
    browser = client()
    signed_in_as = None
    found = discover(cases, zone, roles)
    tally.add("forms", len(found))
    for role, form in found:
        if role != signed_in_as:
            sign_in(browser, zone, role)
            signed_in_as = role
            before = checksum()
        for name, value in pairs(field_kinds(form), corpus, method=form.method):
            fields = [(k, value.text if k == name else v) for k, v in form.fields]
            what = f"{role} {form.method.upper()} {form.url_name} {name}={value.label}"
            with rolled_back(browser):
                # A search box holds nothing: what it cannot use, it may ignore.
                holds = value if form.method == "post" else Value(value.label, value.text)
                judge(tally, what, send(browser, form, fields), holds, before)
    return tally


SAVE = "scoring:save"


def save_payloads(cell: dict[str, object], corpus: list[Value]) -> list[tuple[str, Any, Value]]:
    """(label, JSON body or raw bytes, value) for the grid's save endpoint."""
    plain = Value("structure", "")
    whole = {"year": 2025, "cells": [cell]}
    payloads: list[tuple[str, Any, Value]] = [
        ("not JSON", b"{year: 2025", plain),
        ("invalid UTF-8", b'{"year": 2025, "cells": [\xff]}', plain),
        ("empty body", b"", plain),
        ("a list", [], plain),
        ("no cells", {"year": 2025}, plain),
        ("cells an object", {"year": 2025, "cells": {}}, plain),
        ("deeply nested", b"[" * 100_000 + b"]" * 100_000, plain),
        ("10,000 cells", {"year": 2025, "cells": [cell] * 10_000}, plain),
        ("cell a string", {"year": 2025, "cells": ["x"]}, plain),
    ]
    wrong_types: list[object] = [None, True, [], {}, 1.5, 10**30, -(10**30), "1e3"]
    for key in ("year", *cell):
        for odd in wrong_types:
            data = json.loads(json.dumps(whole))
            target = data if key == "year" else data["cells"][0]
            target[key] = odd
            payloads.append((f"{key}={json.dumps(odd)}", data, plain))
        for value in corpus:
            data = json.loads(json.dumps(whole))
            target = data if key == "year" else data["cells"][0]
            target[key] = value.text
            never = value.never_valid and key in ("value", "note")
            payloads.append((f"{key}={value.label}", data, Value(value.label, "", never)))
    return payloads


def probe_save(zone: Any, *, fast: bool) -> Tally:
    """The grid's JSON save, as the office sends it, with every field of a cell wrong in
    every way."""
    from scoring.models import RuleSet

    tally = Tally()
    corpus = [v for v in CORPUS if v.label in FAST] if fast else CORPUS
    item = RuleSet.objects.get(zone=zone.place, year=2025).ordered_items()[0]
    cell = {"org": zone.a2.pk, "item": item.pk, "month": 3, "value": "1", "version": 0, "note": ""}
    browser = client()
    sign_in(browser, zone, "staff")
    before = checksum()
    url = reverse(SAVE)
    for label, payload, value in save_payloads(cell, corpus):
        raw = payload if isinstance(payload, bytes) else json_bytes(payload)
        with rolled_back(browser):
            response = browser.post(url, raw, content_type="application/json")
            judge(tally, f"POST {SAVE} {label}", response, value, before)
    return tally


def json_bytes(payload: object) -> bytes:
    """JSON with every character escaped: a lone surrogate or NUL goes out as \\uXXXX."""
    return json.dumps(payload).encode()


def probe(cases: list[Any], zone: Any, roles: tuple[str, ...], *, fast: bool = False) -> Tally:
    tally = probe_forms(cases, zone, roles, fast=fast)
    tally.add("form requests", tally.counts["tried"])
    save = probe_save(zone, fast=False)  # a few hundred quick answers: always in full
    tally.add("JSON requests", save.counts["tried"])
    tally.counts.update(save.counts)
    tally.findings += save.findings
    return tally
