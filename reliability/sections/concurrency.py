"""Concurrency: many office staff save the same grid cell at once, each sending the version
it last saw. The version check must let exactly one save of each round through and refuse
the rest as conflicts naming the stored value; nothing is overwritten silently, and the
history has one row per save that went through.
"""

import threading
from collections import Counter
from dataclasses import dataclass

from reliability.environment import Environment
from reliability.http import Browser, grid_versions
from reliability.report import Outcome

TITLE = "Concurrency: one grid cell, many writers"
CLIENTS = 20
ROUNDS = 5
MONTH = 6


@dataclass
class Writer:
    number: int
    browser: Browser
    version: int = -1


def attempt(writer: Writer, cell: tuple[int, int], year: int, round_number: int) -> str:
    """One save; "saved", "conflict" or what else came back. The writer keeps the version the
    answer shows, as the grid does."""
    org, item = cell
    payload = {
        "year": year,
        "cells": [
            {
                "org": org,
                "item": item,
                "month": MONTH,
                # A note of its own: every save that goes through changes the cell.
                "value": "1.0" if round_number % 2 else "0.5",
                "version": writer.version,
                "note": f"rel-race-{round_number}-{writer.number}",
            }
        ],
    }
    response = writer.browser.post_json("/points/save/", payload)
    data = response.json()
    if response.status == 200 and isinstance(data, dict) and data.get("ok"):
        writer.version = data["cells"][0]["version"]
        return "saved"
    if response.status == 422 and isinstance(data, dict):
        current = (data.get("errors") or [{}])[0].get("current")
        if current:
            writer.version = current["version"]
            return "conflict"
    return f"HTTP {response.status}"


def cell_state(env: Environment, cell: tuple[int, int], year: int) -> tuple[int, int]:
    """(version in the points table, history rows) of the cell."""
    org, item = cell
    version = env.sql(
        "SELECT coalesce(max(version), 0) FROM scoring_pointentry"
        " WHERE organization_id = %s AND item_id = %s AND year = %s AND month = %s",
        (org, item, year, MONTH),
    )[0][0]
    rows = env.sql(
        "SELECT count(*) FROM scoring_historicalpointentry"
        " WHERE organization_id = %s AND item_id = %s AND year = %s AND month = %s",
        (org, item, year, MONTH),
    )[0][0]
    return version, rows


def run(env: Environment) -> Outcome:
    outcome = Outcome()
    data = env.dataset
    app = env.app()
    # An organization and item no other section writes in this month.
    cell = (data.org_ids()[-1], data.items[0])
    writers = []
    for number in range(CLIENTS):
        browser = Browser(app.base)
        browser.login(data.staff[number % len(data.staff)], data.password)
        writers.append(Writer(number + 1, browser))
    for writer in writers:
        page = writer.browser.get(f"/points/{data.year}/{MONTH}/")
        writer.version = grid_versions(page.text).get(cell, -1)
    outcome.check(
        "every writer signed in and read the cell's version from the grid",
        all(w.version >= 0 for w in writers),
    )
    version_before, history_before = cell_state(env, cell, data.year)

    results: Counter[str] = Counter()
    winners: list[int] = []
    lock = threading.Lock()
    # All writers of a round start together, and the next round waits for the last answer.
    start = threading.Barrier(CLIENTS)

    def write(writer: Writer) -> None:
        for round_number in range(1, ROUNDS + 1):
            start.wait()
            result = attempt(writer, cell, data.year, round_number)
            with lock:
                results[result] += 1
                if result == "saved":
                    winners.append(round_number)
            start.wait()

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    version_after, history_after = cell_state(env, cell, data.year)
    attempts = CLIENTS * ROUNDS
    successes, conflicts = results["saved"], results["conflict"]
    outcome.figure("writers × rounds", f"{CLIENTS} × {ROUNDS}")
    outcome.figure("attempts", attempts)
    outcome.figure("saved", successes)
    outcome.figure("refused as conflicts", conflicts)
    for other, count in sorted(results.items()):
        if other not in ("saved", "conflict"):
            outcome.figure(f"answered {other}", count)
    outcome.figure("new history rows for the cell", history_after - history_before)
    outcome.check("saved + conflicts = attempts", successes + conflicts == attempts)
    outcome.check("history rows added = saves", history_after - history_before == successes)
    outcome.check(
        "the cell's version rose by the number of saves",
        version_after - version_before == successes,
    )
    outcome.check(
        "exactly one save went through in each round",
        Counter(winners) == Counter(range(1, ROUNDS + 1)),
    )
    return outcome
