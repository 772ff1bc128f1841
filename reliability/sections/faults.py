"""Faults: PostgreSQL restarts (pg_ctlcluster restart -m fast) while office staff read pages
and save batches of cells. Every answer must be a page, a save, a conflict or a 503 that says
"系统繁忙，请稍后重试"; never a 500, never a dropped connection; and no batch may be half saved,
whatever its answer said.

Each client owns one organization's row of the month, so its batches never conflict with
another client's; every batch carries a note of its own, which the points' history keeps,
so the history says exactly which cells of which batch were written.

Three times: gunicorn straight to PostgreSQL, then through PgBouncer in transaction mode (as
production runs), where how soon the app recovers is PgBouncer's doing, not Django's: with
its defaults, then with a shorter server_login_retry.
"""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from reliability import pgbouncer
from reliability.app import production_env, serve
from reliability.environment import Environment
from reliability.http import Browser, Response, grid_versions
from reliability.report import Outcome
from reliability.system import CLEANUP

TITLE = "Faults: the primary restarts under load"


@dataclass(frozen=True)
class Phase:
    label: str
    month: int  # an open month of the seeded year that no other section writes
    note_prefix: str
    pgbouncer: dict[str, str] | None = None  # None: straight to PostgreSQL


# One quarter each: a phase's batches fill its cells up to their quarterly caps, so a later
# phase on the same organizations in the same quarter would be refused.
DIRECT = Phase("direct", 5, "rel-fault-direct")
POOLED = Phase("PgBouncer", 8, "rel-fault-pooled", {})
# PgBouncer waits server_login_retry (15 s) after a failed server login before trying again,
# failing or holding every query meanwhile; this phase shows what a shorter wait gives.
POOLED_RETRY = Phase("PgBouncer retry 1 s", 11, "rel-fault-retry", {"server_login_retry": "1"})
CLIENTS = 4
CELLS_PER_BATCH = 5
PAUSE = 0.05  # between one client's requests: a busy office, not a flood
WARM_UP = 3.0
AFTER_RECOVERY = 3.0
GIVE_UP = 60.0
BUSY = "系统繁忙，请稍后重试。"


@dataclass
class Batch:
    note: str
    cells: list[tuple[int, int, int]]
    value: str
    status: int = -1  # the HTTP answer; 0 for none

    @property
    def saved(self) -> bool:
        return self.status == 200


@dataclass
class Exchange:
    started: float
    ended: float
    method: str
    status: int
    well_formed: bool = True  # for a 503: Retry-After and the message in the expected form
    invalid: bool = False  # a 422 refusing a cell for something other than a conflict


@dataclass
class Client:
    number: int
    browser: Browser
    org: int
    items: list[int]
    year: int
    phase: Phase
    versions: dict[tuple[int, int], int] = field(default_factory=dict)
    batches: list[Batch] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)

    def pages(self) -> list[str]:
        return [f"/points/{self.year}/{self.phase.month}/", f"/warnings/{self.year}/1/"]

    def get(self, path: str) -> Response:
        response = self.browser.get(path)
        self.note(response, "GET")
        if response.status == 200 and "/points/" in path:
            self.versions.update(grid_versions(response.text))
        return response

    def save(self, sequence: int) -> Batch:
        batch = Batch(
            note=f"{self.phase.note_prefix}-{self.number}-{sequence}",
            cells=[(self.org, item, self.phase.month) for item in self.items],
            value="1.0" if sequence % 2 else "0.5",
        )
        payload = {
            "year": self.year,
            "cells": [
                {
                    "org": org,
                    "item": item,
                    "month": month,
                    "value": batch.value,
                    "version": self.versions.get((org, item), 0),
                    "note": batch.note,
                }
                for org, item, month in batch.cells
            ],
        }
        response = self.browser.post_json("/points/save/", payload)
        batch.status = response.status
        self.note(response, "POST")
        self.learn(response)
        self.batches.append(batch)
        return batch

    def learn(self, response: Response) -> None:
        """Versions from the answer, as grid.js takes them: the saved cells' on success, the
        stored cells' on a conflict (a batch that was answered 503 may have been saved)."""
        data = response.json()
        if not isinstance(data, dict):
            return
        for cell in data.get("cells") or []:
            self.versions[(cell["org"], cell["item"])] = cell["version"]
        for error in data.get("errors") or []:
            if error.get("current"):
                current = error["current"]
                self.versions[(current["org"], current["item"])] = current["version"]

    def note(self, response: Response, method: str) -> None:
        ended = time.monotonic()
        self.exchanges.append(
            Exchange(
                ended - response.seconds,
                ended,
                method,
                response.status,
                well_formed(response, method),
                invalid(response),
            )
        )

    def loop(self, stop: threading.Event) -> None:
        sequence = 0
        while not stop.is_set():
            sequence += 1
            self.save(sequence)
            if sequence % 2 == 0:
                self.get(self.pages()[sequence // 2 % 2])
            time.sleep(PAUSE)


def invalid(response: Response) -> bool:
    """A refusal that is no conflict: this section's batches are all valid, so one would
    mean the test, not the app, is off (say, two phases filling one quarter's caps)."""
    data = response.json()
    if response.status != 422 or not isinstance(data, dict):
        return False
    return not all(error.get("current") for error in data.get("errors") or [{}])


def well_formed(response: Response, method: str) -> bool:
    if response.status != 503:
        return True
    if not response.headers.get("Retry-After", "").isdigit():
        return False
    if method == "POST":
        return response.json() == {"ok": False, "message": BUSY}
    return "系统繁忙" in response.text


def recovered_everywhere(clients: list[Client], since: float) -> bool:
    """Every client has saved a batch that it sent after `since`."""
    return all(
        any(e.method == "POST" and e.status == 200 and e.started >= since for e in c.exchanges)
        for c in clients
    )


def history(env: Environment, year: int, phase: Phase) -> dict[str, list[tuple]]:
    """{note: [(org, item, month, points)]} of every history row a batch of the phase
    wrote."""
    rows = env.sql(
        "SELECT note, organization_id, item_id, month, points FROM scoring_historicalpointentry"
        " WHERE year = %s AND month = %s AND note LIKE %s",
        (year, phase.month, f"{phase.note_prefix}-%"),
    )
    written: dict[str, list[tuple]] = defaultdict(list)
    for note, org, item, month, points in rows:
        written[note].append((org, item, month, points))
    return written


@dataclass
class BatchCheck:
    half_saved: list[str]
    saved_but_missing: list[str]
    errored_but_committed: list[str]
    unknown_notes: list[str]


def check_batches(batches: list[Batch], written: dict[str, list[tuple]]) -> BatchCheck:
    """Compare what clients were told with what the history holds. A batch is whole when the
    history has one row for each of its cells, each with the batch's value."""
    sent = {b.note: b for b in batches}
    half, missing, committed = [], [], []
    for batch in batches:
        rows = written.get(batch.note, [])
        whole = sorted((o, i, m) for o, i, m, _ in rows) == sorted(batch.cells) and all(
            p == Decimal(batch.value) for *_, p in rows
        )
        if rows and not whole:
            half.append(batch.note)
        elif batch.saved and not rows:
            missing.append(batch.note)
        elif not batch.saved and rows:
            committed.append(batch.note)
    return BatchCheck(half, missing, committed, sorted(set(written) - set(sent)))


def last_committed_held(env: Environment, client: Client, written: dict[str, list]) -> bool:
    """The points table holds the client's last batch that the history shows was written."""
    committed = [b for b in client.batches if b.note in written]
    if not committed:
        return True
    last = committed[-1]
    rows = env.sql(
        "SELECT item_id, points, note FROM scoring_pointentry"
        " WHERE organization_id = %s AND year = %s AND month = %s AND item_id = ANY(%s)",
        (client.org, client.year, client.phase.month, client.items),
    )
    return len(rows) == len(client.items) and all(
        points == Decimal(last.value) and note == last.note for _, points, note in rows
    )


@dataclass
class Timeline:
    restart_at: float  # pg_ctlcluster restart issued
    restart_seconds: float  # how long it took
    back_at: float  # when it returned


def sign_in(outcome: Outcome, env: Environment, base: str, phase: Phase) -> list[Client]:
    data = env.dataset
    clients = []
    signed_in = 0
    for number in range(CLIENTS):
        browser = Browser(base)
        signed_in += browser.login(data.staff[number], data.password)
        client = Client(
            number + 1,
            browser,
            data.org_ids()[number],
            data.items[:CELLS_PER_BATCH],
            data.year,
            phase,
        )
        client.get(client.pages()[0])  # the cells' versions, as the grid starts from
        clients.append(client)
    outcome.check(f"{phase.label}: all {CLIENTS} clients signed in", signed_in == CLIENTS)
    return clients


def restart_under_load(env: Environment, clients: list[Client]) -> Timeline:
    """Load, restart, wait until every client saved again (or give up), a little more load."""
    stop = threading.Event()
    threads = [threading.Thread(target=c.loop, args=(stop,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        time.sleep(WARM_UP)
        restart_at = time.monotonic()
        restart_seconds = env.primary.restart("fast")
        back_at = time.monotonic()
        deadline = back_at + GIVE_UP
        while not recovered_everywhere(clients, back_at) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(AFTER_RECOVERY)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return Timeline(restart_at, restart_seconds, back_at)


def judge(outcome: Outcome, env: Environment, clients: list[Client], timeline: Timeline) -> None:
    phase = clients[0].phase
    label = phase.label

    def figure(name: str, value: object) -> None:
        outcome.figure(f"{label}: {name}", value)

    def check(name: str, held: bool) -> None:
        outcome.check(f"{label}: {name}", held)

    exchanges = sorted((e for c in clients for e in c.exchanges), key=lambda e: e.started)
    batches = [b for c in clients for b in c.batches]
    failures = [e for e in exchanges if e.status not in (200, 422)]
    statuses = [e.status for e in exchanges]
    figure(
        "requests / 200 / 503 / 500",
        f"{len(exchanges)} / {statuses.count(200)} / {statuses.count(503)} / {statuses.count(500)}",
    )
    figure("answered 422 (conflict after an unclear save)", statuses.count(422))
    figure("no HTTP answer (connection refused or reset)", statuses.count(0))
    figure("pg_ctlcluster restart -m fast, seconds", round(timeline.restart_seconds, 2))
    figure("slowest answer, seconds", round(max(e.ended - e.started for e in exchanges), 2))
    if failures:
        last_failure = failures[-1].ended
        after = [e.ended for e in exchanges if e.status == 200 and e.started >= last_failure]
        figure(
            "outage seen by clients, s (first to last 503)",
            round(last_failure - failures[0].started, 2),
        )
        if after:
            figure(
                "seconds to recovery (restart issued → next 200)",
                round(min(after) - timeline.restart_at, 2),
            )
    written = history(env, clients[0].year, phase)
    checked = check_batches(batches, written)
    figure(
        "batches (5 cells) sent / answered 200 / otherwise",
        f"{len(batches)} / {sum(b.saved for b in batches)} / {sum(not b.saved for b in batches)}",
    )
    figure(
        "answered otherwise but written (the answer was lost)",
        len(checked.errored_but_committed),
    )

    check("no request answered 500", statuses.count(500) == 0)
    check("every request got an HTTP answer", statuses.count(0) == 0)
    check(
        "nothing but 200 before the restart",
        all(e.status == 200 for e in exchanges if e.ended < timeline.restart_at),
    )
    check("the restart reached the clients (at least one 503)", statuses.count(503) > 0)
    check(
        "every 503 had Retry-After and 系统繁忙 (JSON for the grid's saves)",
        all(e.well_formed for e in exchanges),
    )
    check("every 422 was a conflict showing the stored cell", not any(e.invalid for e in exchanges))
    check(
        "every client saved again after the restart",
        recovered_everywhere(clients, timeline.back_at),
    )
    check("no batch half saved (history: all of its cells or none)", not checked.half_saved)
    check("every batch answered 200 is in the history, whole", not checked.saved_but_missing)
    check("the history holds no batch nobody sent", not checked.unknown_notes)
    check(
        "the points table holds each client's last written batch",
        all(last_committed_held(env, c, written) for c in clients),
    )


def run(env: Environment) -> Outcome:
    outcome = Outcome()
    for phase in (DIRECT, POOLED, POOLED_RETRY):
        with CLEANUP.scope():
            if phase.pgbouncer is None:
                base = env.app().base
            else:
                bouncer = pgbouncer.start(env.primary, env.workdir, settings=phase.pgbouncer)
                env_vars = production_env(bouncer.url(env.database), pooled=True)
                base = serve(env_vars, name="gunicorn-pooled").base
            clients = sign_in(outcome, env, base, phase)
            judge(outcome, env, clients, restart_under_load(env, clients))
    return outcome
