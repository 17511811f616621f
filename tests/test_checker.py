"""The checker on hand-written histories and ledgers: every outcome, torn lines, indeterminate
submissions."""

import random

import pytest

from chaos.judgement.checker import Attempt, _attempts, _overlapping, check, classify
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


def _overlapping_by_definition(attempts) -> bool:
    return any(a is not b and a.start_mono < b.start_mono < a.last_mono for a in attempts for b in attempts)


def test_overlap_detection_agrees_with_its_definition():
    rng = random.Random(14)
    for _ in range(3000):
        attempts = []
        for number in range(1, rng.randint(1, 6) + 1):
            start = rng.choice((0.0, 1.0, 2.0, 3.0, rng.uniform(0, 4)))  # equal starts and ends happen
            attempts.append(Attempt(number, 1, start, start + rng.choice((0.0, 0.5, 1.0, 2.0)), ["started"]))
        assert _overlapping(attempts) == _overlapping_by_definition(attempts), attempts


def test_recovery_is_measured_from_the_first_fault_at_or_after_the_cut():
    s = (Script().submit("a").ran("a", 1, ["started"], 2.0).ran("a", 2, DONE, 9.0, pid=200)
         .status("a", "succeeded").fault(1.0, 1.5).fault(6.0, 6.5).fault(2.0, 2.5).fault(4.0, 4.5))
    assert outcome_of(s).recovery_s == round(9.2 - 2.0, 3)  # the fault at 2.0 = the cut's start counts
    late = Script().submit("a").ran("a", 1, ["started"], 7.0).ran("a", 2, DONE, 9.0).status("a", "succeeded").fault(1.0, 2.0)
    assert outcome_of(late).recovery_s is None


def test_check_of_many_tasks_equals_each_task_judged_alone():
    """The indexed ledger gives every task what a linear scan of the whole ledger gave it."""
    rng = random.Random(7)
    s = Script().fault(30.0, 31.0)
    specs = []
    for n in range(60):
        key = f"t{n}"
        specs.append(TaskSpec(key=key))
        s.submit(key, rng.choice(("ok", "ok", "ok", "fail", "info", None)), t=n * 0.5)
        t = n * 0.5 + 0.1
        for attempt in range(1, rng.randint(0, 3) + 1):
            events = rng.choice((DONE, ["started"], ["started", "failed"], ["started", "crashing"]))
            s.ran(key, attempt, events, t, pid=rng.choice((100, 200, 300)), step=rng.choice((0.1, 1.0)))
            t += rng.choice((0.05, 0.5, 2.0))  # sometimes before the attempt before it ended
        if rng.random() < 0.8:
            s.status(key, rng.choice(("succeeded", "pending", "failed", "running")))
    s.ran("stray", 1, DONE, 3.0)  # a key no spec names
    ledger = s.ledger(torn=1)
    result = check(specs, s.history, ledger)
    faults = s.history.faults()
    submissions, statuses = s.history.submissions(), s.history.final_status()
    for spec in specs:
        alone = classify(spec.key, submissions.get(spec.key),
                         _attempts([r for r in ledger.records if r.key == spec.key]), statuses.get(spec.key), faults)
        assert result.outcomes[spec.key] == alone
    assert len(set(result.counts)) >= 5 and sum(result.counts.values()) == len(specs)
