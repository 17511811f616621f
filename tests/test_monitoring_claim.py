"""The monitoring claim on hand-written histories: it holds only when the monitor's final reading
shows every acknowledged task in the ledger's state with matching totals, and each way of breaking
that is seen."""

from chaos.judgement.checker import check
from chaos.judgement.claims import CLAIMS, Evidence
from chaos.judgement.verdict import decide
from chaos.profile import get_profile
from chaos.records.taskspec import TaskSpec
from helpers import Script

DONE = ["started", "succeeded", "returned"]
FAILED = ["started", "failed", "returned"]
CLAIM = CLAIMS["monitoring"]
PROFILE = get_profile("celery-default")


def run(script: Script, keys=("a", "b")):
    specs = [TaskSpec(key=k) for k in keys]
    evidence = Evidence(specs, check(specs, script.history, script.ledger()), script.ledger(), script.history)
    return CLAIM.judge(evidence, PROFILE)


def two_tasks() -> Script:
    """a succeeded, b failed on its only attempt."""
    return (Script().submit("a").ran("a", 1, DONE, 1).status("a", "succeeded")
            .submit("b").ran("b", 1, FAILED, 2).status("b", "failed"))


def reading(script: Script, tasks: dict, counts: dict, type="ok", final=True, **data):
    return script.op("monitor", type, None, 200.0, supported=True, final=final, monitor="flower", elapsed_s=0.1,
                     tasks={f"id-{k}": {"state": s, "raw_state": s} for k, s in tasks.items()}, counts=counts, **data)


def test_holds_when_every_task_and_total_agrees():
    r = run(reading(two_tasks(), {"a": "succeeded", "b": "failed"}, {"succeeded": 1, "failed": 1}))
    assert r.holds and r.violations == 0 and r.relevant == 4 and r.counts == {"agrees": 2}


def test_missing_task_breaks_it():
    r = run(reading(two_tasks(), {"b": "failed"}, {"succeeded": 0, "failed": 1}))
    assert not r.holds and r.violating_keys == ["a", "count:succeeded"]
    assert r.counts == {"agrees": 1, "missing": 1, "count-mismatch": 1}


def test_wrong_state_breaks_it():
    r = run(reading(two_tasks(), {"a": "running", "b": "failed"}, {"succeeded": 1, "failed": 1}))
    assert r.violating_keys == ["a"] and r.counts["wrong-state"] == 1


def test_a_failure_shown_as_success_breaks_it():
    r = run(reading(two_tasks(), {"a": "succeeded", "b": "succeeded"}, {"succeeded": 2, "failed": 0}))
    assert r.violating_keys == ["b", "count:succeeded", "count:failed"]


def test_totals_disagreeing_alone_break_it():
    """An extra entry in the monitor's totals (a task it counts that the ledger never ran)."""
    r = run(reading(two_tasks(), {"a": "succeeded", "b": "failed"}, {"succeeded": 2, "failed": 1}))
    assert not r.holds and r.violating_keys == ["count:succeeded"]


def test_only_the_final_reading_counts():
    s = reading(two_tasks(), {"b": "failed"}, {"failed": 1}, final=False)
    assert run(reading(s, {"a": "succeeded", "b": "failed"}, {"succeeded": 1, "failed": 1})).holds
    s = reading(two_tasks(), {"a": "succeeded", "b": "failed"}, {"succeeded": 1, "failed": 1}, final=False)
    assert not run(reading(s, {"b": "failed"}, {"failed": 1})).holds


def test_cut_off_task_may_be_shown_running_or_failed_but_not_succeeded():
    def script():
        return Script().submit("a").ran("a", 1, ["started"], 1).status("a", "running")
    assert run(reading(script(), {"a": "running"}, {}), keys=("a",)).holds
    assert run(reading(script(), {"a": "failed"}, {"failed": 1}), keys=("a",)).holds
    assert run(reading(script(), {"a": "failed"}, {"failed": 2}), keys=("a",)).violating_keys == ["count:failed"]
    assert run(reading(script(), {"a": "succeeded"}, {}), keys=("a",)).violating_keys == ["a"]


def test_unacknowledged_tasks_are_not_asked_for():
    s = two_tasks().submit("c", result="info")
    assert run(reading(s, {"a": "succeeded", "b": "failed"}, {"succeeded": 1, "failed": 1}), keys=("a", "b", "c")).holds


def test_unreadable_monitor_shows_nothing():
    s = two_tasks().op("monitor", "info", None, 200.0, supported=True, final=True, monitor="flower",
                       error="ConnectError: refused")
    r = run(s)
    assert not r.holds and r.counts["missing"] == 2 and "could not be read" in r.note


def test_no_monitor_is_unsupported_and_says_what_the_status_api_did():
    s = (Script().submit("a").ran("a", 1, DONE, 1).status("a", None, supported=False)
         .op("monitor", "fail", None, 200.0, supported=False, final=True, backend="bgtasks", reason="no monitor"))
    r = run(s, keys=("a",))
    assert r.unsupported and "501" in r.note and decide(r, "bgtasks") == "unsupported"


def test_no_monitor_but_a_status_api_is_the_suites_gap_not_unsupported():
    s = (Script().submit("a").ran("a", 1, DONE, 1).status("a", "succeeded")
         .op("monitor", "fail", None, 200.0, supported=False, final=True, backend="x", reason="no monitor"))
    r = run(s, keys=("a",))
    assert not r.unsupported and decide(r, "celery") == "inconclusive" and "chaos/monitor" in r.note


def test_no_reading_at_all_is_inconclusive():
    r = run(two_tasks())
    assert r.relevant == 0 and decide(r, "celery") == "inconclusive" and "monitor" in r.note
