"""The checker on hand-written histories and ledgers: every outcome, torn lines, indeterminate
submissions."""

import pytest

from chaos.judgement.checker import check
from chaos.records.taskspec import TaskSpec
from helpers import Script

DONE = ["started", "succeeded", "returned"]


def outcome_of(script: Script, spec=None, key="a"):
    spec = spec or TaskSpec(key=key)
    return check([spec], script.history, script.ledger()).outcomes[key]


def test_ok_once():
    o = outcome_of(Script().submit("a").ran("a", 1, DONE, 1).status("a", "succeeded"))
    assert o.outcome == "ok" and o.successes == 1


def test_lost_when_accepted_and_never_ran():
    o = outcome_of(Script().submit("a").status("a", "pending"))
    assert o.outcome == "lost"


def test_lost_when_started_cut_off_and_no_status_api():
    o = outcome_of(Script().submit("a").ran("a", 1, ["started"], 1).status("a", None, supported=False))
    assert o.outcome == "lost" and "unavailable" in o.note


def test_failed_is_visible_failure():
    o = outcome_of(Script().submit("a").ran("a", 1, ["started"], 1).status("a", "failed"))
    assert o.outcome == "failed"


def test_stuck_when_status_still_running():
    o = outcome_of(Script().submit("a").ran("a", 1, ["started"], 1).status("a", "running"))
    assert o.outcome == "stuck"


def test_duplicated_when_two_successes():
    s = Script().submit("a").ran("a", 1, DONE, 1).ran("a", 2, DONE, 5).status("a", "succeeded")
    o = outcome_of(s)
    assert o.outcome == "duplicated" and o.successes == 2


def test_duplicated_when_attempts_overlap_even_if_one_succeeded():
    # attempt 1 still writing (held) after attempt 2 started: two copies ran at the same time
    s = (Script().submit("a").ran("a", 1, ["started", "held", "released"], 1.0, step=2.0)
         .ran("a", 2, DONE, 2.0, pid=200).status("a", "succeeded"))
    o = outcome_of(s)
    assert o.outcome == "duplicated" and o.concurrent


def test_retried_split_between_requested_and_redelivered():
    s = (Script().submit("a")
         .ran("a", 1, ["started", "failed"], 1)  # requested
         .ran("a", 2, ["started"], 2)  # cut off by the fault
         .fault(2.5, 3.0)
         .ran("a", 3, DONE, 10)
         .status("a", "succeeded"))
    o = outcome_of(s, TaskSpec(key="a", fail_times=1))
    assert o.outcome == "retried"
    assert (o.requested_retries, o.redeliveries) == (1, 1)
    assert o.recovery_s == pytest.approx(10.2 - 2.5)


def test_status_mismatch_when_ledger_succeeded_but_status_pending():
    o = outcome_of(Script().submit("a").ran("a", 1, DONE, 1).status("a", "pending"))
    assert o.outcome == "status-mismatch"


def test_no_status_api_is_not_a_mismatch():
    o = outcome_of(Script().submit("a").ran("a", 1, DONE, 1).status("a", None, supported=False))
    assert o.outcome == "ok"


def test_phantom_when_rejected_submission_ran():
    o = outcome_of(Script().submit("a", "fail").ran("a", 1, DONE, 1))
    assert o.outcome == "phantom"


def test_rejected_submission_that_never_ran():
    assert outcome_of(Script().submit("a", "fail")).outcome == "rejected"


def test_info_submission_that_never_ran_is_not_lost():
    assert outcome_of(Script().submit("a", "info")).outcome == "indeterminate"


def test_info_submission_that_ran_is_not_a_phantom():
    o = outcome_of(Script().submit("a", "info").ran("a", 1, DONE, 1))
    assert o.outcome == "ok"


def test_invoke_without_completion_counts_as_info():
    assert outcome_of(Script().submit("a", None)).outcome == "indeterminate"


def test_torn_lines_are_counted_not_fatal():
    s = Script().submit("a").ran("a", 1, DONE, 1).status("a", "succeeded")
    result = check([TaskSpec(key="a")], s.history, s.ledger(torn=2))
    assert result.torn_ledger_lines == 2 and result.outcomes["a"].outcome == "ok"


def test_counts_cover_every_task():
    s = Script().submit("a").ran("a", 1, DONE, 1).status("a", "succeeded").submit("b").status("b", "pending")
    result = check([TaskSpec(key="a"), TaskSpec(key="b")], s.history, s.ledger())
    assert result.counts == {"ok": 1, "lost": 1}
