"""Proof that a fault landed (chaos/landing.py): what it hit at the strike, and a fault that hit
nothing it was meant to makes the cell inconclusive."""

from chaos.landing import at_strike, missed, words
from chaos.records.ledger import LedgerRecord
from tests.helpers import Script


def _record(key, attempt, event, pid=10, t=1.0):
    return LedgerRecord(key, f"id-{key}", attempt, event, pid, "test", t, t)


def test_the_strike_records_the_running_trigger_and_what_waits_behind_it():
    s = Script().submit("t0").submit("t1").submit("t2")
    records = [_record("t0", 1, "started", pid=4321), _record("t0", 1, "held", pid=4321),
               _record("t1", 1, "started", pid=7), _record("t1", 1, "succeeded", pid=7)]
    hit = at_strike(records, s.history, records[1], "held")
    assert hit["trigger"]["still_there"] and hit["queued"] == ["t2"]
    assert [r["key"] for r in hit["running"]] == ["t0"]
    assert words(hit) == "t0 running in pid 4321 (attempt 1), 1 accepted and not started, 0 others running"
    assert missed([{"name": "kill-worker", "hit": hit}]) is None


def test_a_fault_that_struck_after_its_trigger_finished_proves_nothing():
    s = Script().submit("t0")
    held = _record("t0", 1, "held")
    records = [_record("t0", 1, "started"), held, _record("t0", 1, "succeeded"), _record("t0", 1, "returned")]
    hit = at_strike(records, s.history, held, "held")
    assert not hit["trigger"]["still_there"] and "already finished" in words(hit)
    assert "hit nothing it was meant to" in missed([{"name": "kill-worker", "hit": hit}])
    # a fault aimed at a returned task on purpose (kill-beat strikes once b0 has run) did land
    assert at_strike(records, s.history, records[-1], "returned")["trigger"]["still_there"]
