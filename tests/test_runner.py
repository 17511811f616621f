"""The runner's trigger lookup (chaos/runner.py): which record a fault strikes on."""

from __future__ import annotations

import json

from chaos.records.ledger import LedgerRecord
from chaos.runner import wait_for_event


def _write(directory, pid, records):
    with open(directory / f"{pid}.jsonl", "w") as out:
        for record in records:
            out.write(json.dumps(record.to_json()) + "\n")


def test_the_trigger_is_the_first_record_to_reach_the_event_whatever_the_pids(tmp_path):
    """Two attempts of t0 held at once (a redelivery): the fault aims at the one that got there first.
    The ledger is a file per pid ("10.jsonl" sorts before "9.jsonl"): the choice must come from the
    records' times, not from the pids."""
    first = LedgerRecord("t0", "id", 1, "held", 9, "test", 100.0, 100.0)
    later = LedgerRecord("t0", "id", 2, "held", 10, "test", 107.0, 107.0)
    _write(tmp_path, 9, [LedgerRecord("t0", "id", 1, "started", 9, "test", 99.9, 99.9), first])
    _write(tmp_path, 10, [LedgerRecord("t0", "id", 2, "started", 10, "test", 106.9, 106.9), later])
    assert wait_for_event(tmp_path, "t0", "held", deadline_s=1.0) == first


def test_no_such_event_within_the_deadline_is_none(tmp_path):
    _write(tmp_path, 9, [LedgerRecord("t0", "id", 1, "started", 9, "test", 1.0, 1.0)])
    assert wait_for_event(tmp_path, "t0", "held", deadline_s=0.1) is None
