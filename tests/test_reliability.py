"""The pieces of make reliability that can go wrong quietly: reading versions off the grid
page as grid.js does, judging batches against the history, and the report."""

import json
from decimal import Decimal

from reliability.http import grid_versions
from reliability.report import Outcome, summary, table
from reliability.sections.faults import Batch, check_batches


def test_grid_versions_reads_what_the_grid_page_renders(zone, items, login):
    client = login(zone.staff)
    item = items["1.1"]
    saved = client.post(
        "/points/save/",
        json.dumps(
            {
                "year": 2025,
                "cells": [
                    {"org": zone.a1.pk, "item": item.pk, "month": 5, "value": "1", "version": 0}
                ],
            }
        ),
        content_type="application/json",
    )
    assert saved.status_code == 200
    versions = grid_versions(client.get("/points/2025/5/").content.decode())
    assert versions[(zone.a1.pk, item.pk)] == 1
    assert versions[(zone.a2.pk, item.pk)] == 0
    assert len(versions) == len(items) * 5  # the committees and branches below the root


def batch(note, *, status, cells=((1, 1, 5), (1, 2, 5))):
    return Batch(note=note, cells=list(cells), value="1.0", status=status)


def test_a_batch_with_some_of_its_cells_in_the_history_is_half_saved():
    written = {"a": [(1, 1, 5, Decimal("1.0"))]}
    checked = check_batches([batch("a", status=503), batch("b", status=503)], written)
    assert checked.half_saved == ["a"]
    assert checked.errored_but_committed == []


def test_a_batch_answered_503_but_written_whole_is_told_apart():
    written = {"a": [(1, 1, 5, Decimal("1.0")), (1, 2, 5, Decimal("1.0"))]}
    checked = check_batches([batch("a", status=503), batch("b", status=200)], written)
    assert checked.half_saved == []
    assert checked.errored_but_committed == ["a"]
    assert checked.saved_but_missing == ["b"]


def test_a_batch_written_with_another_value_is_half_saved():
    written = {"a": [(1, 1, 5, Decimal("1.0")), (1, 2, 5, Decimal("0.5"))]}
    assert check_batches([batch("a", status=200)], written).half_saved == ["a"]


def test_the_report_marks_failed_invariants_and_counts_them():
    outcome = Outcome()
    outcome.figure("请求", 1200)
    outcome.check("no 500", True)
    outcome.check("没有半保存的批次", False)
    lines = table([("Faults", outcome)])
    assert any(line.strip().endswith("1,200") for line in lines)
    assert any("没有半保存的批次" in line and line.endswith("FAILED") for line in lines)
    assert outcome.failed == ["没有半保存的批次"]
    assert "2 invariants, 1 FAILED" in summary([("Faults", outcome)], 3.0)
