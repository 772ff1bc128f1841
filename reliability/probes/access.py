"""Who may do what, probed from outside the matrix as well as along it.

1. Every named URL of the resolver × every role of the permission matrix × GET and POST: the
   matrix's answer where it has a row, and where it has none for a method, a refusal whenever
   the role is refused the other method (a page you may not see is no form you may send).
2. Foreign ids: each object URL of the matrix with the id of every object of its kind (another
   zone's, another organization's, another user's), its neighbours and ids too big for the
   database, as each role: an object the role may not see must answer 404 (or 403, 405, the
   login page), never a page or a redirect onwards.

A leak is a request the role should have been refused that was not, or a refused request that
wrote a row of the project's tables; there must be none. URLs added later are covered as soon
as the matrix has their rows (which test_every_url_is_in_the_matrix demands).
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model
from django.urls import reverse

from orgs import access
from orgs.models import Organization, Zone
from reliability.probes import Tally, app_models, client, rolled_back
from reliability.probes.pages import sign_in, url_names

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
HUGE = (2**31 - 1, 2**31, 2**63 - 1, 10**20, 0)
METHODS = ("get", "post")
# Foreign ids: one role of each kind of scope (a zone's office, a committee's viewer, a
# branch's secretary, another zone's office, a city); the others share one of these scopes.
FOREIGN_ROLES = ("staff", "viewer", "secretary", "xstaff", "city")


@contextmanager
def writes() -> Iterator[list[str]]:
    """The project's tables written by the statements run inside the block."""
    tables = {m._meta.db_table for m in app_models()}
    written: list[str] = []

    def watch(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match.group(1) in tables:
            written.append(match.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield written


def refused(response: Any, role: str) -> bool:
    status = response.status_code
    if status in (401, 403, 404, 405):
        return True
    return status == 302 and role == "anon" and "/login/" in response.get("Location", "")


def expected_refused(code: int, role: str) -> bool:
    return code in (401, 403, 404, 405) or (code == 302 and role == "anon")


def zone_lookup(model: type[Model], depth: int = 3) -> str | None:
    """The shortest path of foreign keys from `model` to its zone ("station__zone"), if any."""
    paths: list[tuple[str, type[Model]]] = [("", model)]
    for _ in range(depth):
        reached = []
        for prefix, current in paths:
            for f in current._meta.fields:
                if f.is_relation and f.related_model is not None and not f.many_to_many:
                    path = f"{prefix}{f.name}"
                    if f.related_model is Zone:
                        return path
                    reached.append((f"{path}__", f.related_model))
        paths = reached
    return None


def visible(user: Any, model: type[Model], pk: Any) -> bool | None:
    """Whether `user` may see object `pk` of `model` by the access module's own rules, for a
    kind the module has no rule for, whether it is of a zone `user` may read (coarser: the
    matrix's rows hold the finer rule); None for a kind of no zone at all (with `pk` None:
    only whether there is a rule)."""
    if model is Organization:
        objects = access.visible_organizations(user)
    elif model is Zone:
        objects = access.visible_zones(user)
    elif hasattr(model, "organization_lookup"):
        objects = access.in_scope(user, model._default_manager.all())
    elif (path := zone_lookup(model)) is not None:
        zones = access.visible_zones(user).values("pk")
        objects = model._default_manager.filter(**{f"{path}__in": zones})
    else:
        return None
    return True if pk is None else objects.filter(pk=pk).exists()


def request(browser: Any, method: str, url: str, tally: Tally, role: str, what: str) -> Any:
    with rolled_back(browser), writes() as written:
        response = getattr(browser, method)(url)
    tally.add("attempts")
    if response.status_code >= 500:
        tally.found("5xx", f"{what} → {response.status_code}")
    if refused(response, role):
        tally.add("refused")
        if written:
            tally.found("leaks: a refused request wrote", f"{what}: {sorted(set(written))}")
    return response


def probe_matrix(cases: list[Any], zone: Any, roles: tuple[str, ...], *, fast: bool) -> Tally:
    tally = Tally()
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for case in cases:
        groups.setdefault((case.name, repr(case.kwargs)), {})[case.method] = case
    named = set(url_names())
    for name in sorted(named - {c.name for c in cases}):
        tally.found("URLs without a matrix row", name)
    browser = client()
    for role in roles:
        sign_in(browser, zone, role)
        for by_method in groups.values():
            url = next(iter(by_method.values())).url(zone)
            for method in METHODS:
                case = by_method.get(method)
                if fast and case is not None:
                    continue  # test_permissions asserts the matrix's own rows
                what = f"{role} {method.upper()} {url}"
                response = request(browser, method, url, tally, role, what)
                if case is not None:
                    expected = case.expected[role]
                    if response.status_code != expected:
                        tally.found(
                            "answers unlike the matrix",
                            f"{what} → {response.status_code}, matrix {expected}",
                        )
                else:
                    # Judged by the other method's row; a 405 there says nothing of this one.
                    expected = next(iter(by_method.values())).expected[role]
                    if expected == 405:
                        continue
                if expected_refused(expected, role) and not refused(response, role):
                    tally.found("leaks", f"{what} → {response.status_code}")
    return tally


def object_kwargs(case: Any, zone: Any) -> dict[str, type[Model]]:
    """{URL argument: model} for the arguments of a matrix row that name an object."""
    return {
        key: type(getattr(zone, value))
        for key, value in case.kwargs.items()
        if isinstance(value, str) and isinstance(getattr(zone, value, None), Model)
    }


def candidates(user: Any, model: type[Model], known: Any, *, fast: bool) -> list[Any]:
    """Ids to try as `user`: objects of the kind it may not see (every one, or with `fast` a
    few), the neighbours of the matrix's own id and ids no database row can have. Ids it may
    see are the matrix's business."""
    foreign = [
        pk
        for pk in model._default_manager.values_list("pk", flat=True)
        if not visible(user, model, pk)
    ]
    if not isinstance(known, int):
        return [*foreign[: 3 if fast else None], uuid.uuid4()]
    near = [known + d for d in (-1, 1, 2) if known + d > 0 and not visible(user, model, known + d)]
    if fast:
        return list(dict.fromkeys([*foreign[:3], *near[:1], HUGE[0]]))
    return list(dict.fromkeys([*foreign, *near, *HUGE]))


def probe_foreign_ids(cases: list[Any], zone: Any, roles: tuple[str, ...], *, fast: bool) -> Tally:
    tally = Tally()
    browser = client()
    seen: set[tuple[str, ...]] = set()
    for role in roles:
        if role == "anon" or role not in FOREIGN_ROLES:
            continue
        user = getattr(zone, role)
        sign_in(browser, zone, role)
        for case in cases:
            objects = object_kwargs(case, zone)
            key = (role, case.name, case.method, ",".join(sorted(objects)))
            if not objects or key in seen:
                continue
            seen.add(key)
            for argument, model in objects.items():
                if visible(user, model, None) is None:
                    # Judged by the matrix only (its rows name the object's scope).
                    tally.add("object URLs without a scope rule for their kind")
                    continue
                known = getattr(zone, case.kwargs[argument]).pk
                for pk in candidates(user, model, known, fast=fast):
                    kwargs = {
                        k: (getattr(zone, v).pk if isinstance(v, str) else v)
                        for k, v in case.kwargs.items()
                    }
                    kwargs[argument] = pk
                    url = reverse(case.name, kwargs=kwargs)
                    what = f"{role} {case.method.upper()} {url}"
                    response = request(browser, case.method, url, tally, role, what)
                    if not refused(response, role):
                        tally.found(
                            "leaks",
                            f"{what} → {response.status_code} ({model.__name__} {pk} is not theirs)",
                        )
    return tally


def probe(cases: list[Any], zone: Any, roles: tuple[str, ...], *, fast: bool = False) -> Tally:
    matrix = probe_matrix(cases, zone, roles, fast=fast)
    foreign = probe_foreign_ids(cases, zone, roles, fast=fast)
    tally = Tally()
    tally.add("matrix attempts", matrix.counts["attempts"])
    tally.add("foreign-id attempts", foreign.counts["attempts"])
    for part in (matrix, foreign):
        tally.counts.update(part.counts)
        tally.findings += part.findings
    return tally
