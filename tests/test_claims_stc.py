"""The status, timeout and cancellation claims on hand-written histories and ledgers (no servers):
each property is broken by exactly what it names, and a 501 is observed as unsupported."""

import pytest

from chaos.judgement.checker import check
from chaos.judgement.claims import CLAIMS, Evidence
from chaos.profile import get_profile
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import ClientAction, Scenario
from helpers import Script

DONE = ["started", "succeeded", "returned"]
PROFILE = get_profile("rq-default")


def judge(claim, script: Script, specs):
    ledger = script.ledger()
    return CLAIMS[claim].judge(Evidence(specs, check(specs, script.history, ledger), ledger, script.history), PROFILE)


def probe(script, key, state, raw, t, **data):
    return script.op("status", "ok", key, t, final=False, supported=True, state=state, raw_state=raw, **data)


# -- status ---------------------------------------------------------------------------------------
def status_run(unknown_raw, t0_final="succeeded", fault=False):
    s = Script().submit("t0").submit("t1")
    s.ran("t0", 1, ["started", "held"], 1.0)
    probe(s, "t1", "pending", "queued", 1.5)
    probe(s, "never-submitted", "unknown" if unknown_raw is None else "pending", unknown_raw, 1.6, never_submitted=True)
    if fault:
        s.fault(2.0, 3.0)
    else:
        s.ran("t0", 1, ["succeeded", "returned"], 2.5)
    s.ran("t1", 1, DONE, 4.0)
    return s.status("t0", t0_final).status("t1", "succeeded")


SPECS = [TaskSpec(key="t0"), TaskSpec(key="t1")]


def test_status_holds_when_everything_agrees_and_unknown_ids_differ():
    r = judge("status", status_run(None), SPECS)
    assert r.holds and r.relevant == 3 and r.counts == {"agrees": 2, "unknown-id-distinguishable": 1}


def test_status_unknown_id_reading_like_a_queued_task_breaks_it():
    r = judge("status", status_run("queued"), SPECS)
    assert not r.holds and r.violating_keys == ["never-submitted-id"]


def test_status_disagreeing_with_a_success_breaks_it():
    r = judge("status", status_run(None, t0_final="running"), SPECS)
    assert r.violating_keys == ["t0"] and "ledger succeeded" in r.note


def test_status_still_running_after_a_fault_cut_the_attempt_off_is_stale():
    r = judge("status", status_run(None, t0_final="running", fault=True), SPECS)
    assert r.violating_keys == ["t0"] and "cut off by a fault" in r.note
    assert judge("status", status_run(None, t0_final="failed", fault=True), SPECS).holds


def test_status_501_is_unsupported():
    s = Script().submit("t0").ran("t0", 1, DONE, 1).status("t0", None, supported=False)
    assert judge("status", s, [TaskSpec(key="t0")]).unsupported


# -- timeout --------------------------------------------------------------------------------------
TIMEOUT_SPECS = [TaskSpec(key="over", duration_s=8, time_limit_s=1), TaskSpec(key="within", time_limit_s=5),
                 TaskSpec(key="after")]


def timeout_run(over_events, over_state):
    s = Script().submit("over").submit("within").submit("after")
    s.ran("over", 1, over_events, 1.0).ran("within", 1, DONE, 2.0).ran("after", 1, DONE, 3.0)
    return s.status("over", over_state).status("within", "succeeded").status("after", "succeeded")


def test_timeout_holds_when_the_overrunning_task_is_stopped_and_reads_failed():
    r = judge("timeout", timeout_run(["started"], "failed"), TIMEOUT_SPECS)
    assert r.holds and r.relevant == 3
    assert r.measurements["over"]["stopped_within_s"] == [1.0]


@pytest.mark.parametrize("events, state", [(DONE, "succeeded"), (["started"], "running")])
def test_timeout_broken_when_the_limit_did_not_stop_it_or_status_hides_it(events, state):
    r = judge("timeout", timeout_run(events, state), TIMEOUT_SPECS)
    assert r.violating_keys == ["over"]


def test_timeout_worker_that_stopped_serving_breaks_it():
    s = Script().submit("over").submit("within").submit("after").ran("over", 1, ["started"], 1.0)
    s.status("over", "failed").status("within", "pending").status("after", "pending")
    assert judge("timeout", s, TIMEOUT_SPECS).violating_keys == ["within", "after"]


def test_timeout_501_is_unsupported():
    s = Script().submit("over", result=None).op("submit", "fail", "over", 0.1, http=501, unsupported=True)
    assert judge("timeout", s, TIMEOUT_SPECS[:1]).unsupported


# -- cancellation ---------------------------------------------------------------------------------
def cancel(s, key, t, terminate=False, answer="ok"):
    s.op("cancel", "invoke", key, t, terminate=terminate)
    data = {"cancelled": True} if answer == "ok" else {"http": 501, "unsupported": True}
    return s.op("cancel", answer, key, t + 0.01, **data)


def test_cancellation_holds_for_a_queued_and_a_running_task():
    s = Script().submit("t0").submit("t1").ran("t0", 1, ["started", "held"], 1.0)
    cancel(s, "t1", 2.0)
    cancel(s, "t0", 2.1, terminate=True)
    s.status("t0", "cancelled").status("t1", "cancelled")
    r = judge("cancellation", s, SPECS)
    assert r.holds and r.counts == {"cancelled-running-ok": 1, "cancelled-queued-ok": 1}


def test_cancellation_queued_task_that_runs_later_breaks_it():
    s = Script().submit("t0").submit("t1")
    cancel(s, "t1", 2.0).ran("t1", 1, DONE, 9.0).status("t1", "succeeded")
    r = judge("cancellation", s, SPECS)
    assert r.violating_keys == ["t1"] and "cancelled before it started" in r.note


def test_cancellation_running_task_that_succeeds_after_the_cancel_breaks_it():
    s = Script().submit("t0").ran("t0", 1, ["started", "held"], 1.0)
    cancel(s, "t0", 2.0, terminate=True).ran("t0", 1, ["succeeded", "returned"], 3.0).status("t0", "cancelled")
    assert judge("cancellation", s, SPECS[:1]).violating_keys == ["t0"]


def test_cancellation_501_is_unsupported_and_no_cancel_is_inconclusive():
    s = Script().submit("t0")
    assert judge("cancellation", cancel(s, "t0", 1.0, answer="fail"), SPECS[:1]).unsupported
    r = judge("cancellation", Script().submit("t0"), SPECS[:1])
    assert r.relevant == 0 and not r.unsupported


# -- scenario format 3 ----------------------------------------------------------------------------
def test_actions_round_trip_and_are_validated():
    tasks = (TaskSpec(key="t0", hold_at="start"), TaskSpec(key="t1"))
    scenario = Scenario("s", tasks, actions=(ClientAction("cancel", "t0", key="t1"),
                                             ClientAction("status-unknown", "t0")))
    assert Scenario.from_json(scenario.to_json()) == scenario
    with pytest.raises(ValueError, match="not in the scenario"):
        Scenario("s", tasks, actions=(ClientAction("cancel", "t0", key="t9"),))
    with pytest.raises(ValueError, match="terminate applies to cancel only"):
        ClientAction("status", "t0", key="t1", terminate=True)
    with pytest.raises(ValueError, match="a key is required"):
        ClientAction("cancel", "t0")
    with pytest.raises(ValueError, match="need format version 3"):
        Scenario.from_json(scenario.to_json() | {"version": 2})
    assert Scenario.from_json(scenario.to_json() | {"version": 2, "actions": []}).actions == ()


def test_status_retrying_is_true_only_while_attempts_remain():
    specs = [TaskSpec(key="f", fail_times=9)]
    celery = get_profile("celery-default")  # 4 attempts
    def run(n, state):
        s = Script().submit("f")
        for i in range(1, n + 1):
            s.ran("f", i, ["started", "failed"], float(i))
        ledger = s.status("f", state).ledger()
        return CLAIMS["status"].judge(Evidence(specs, check(specs, s.history, ledger), ledger, s.history), celery)
    assert run(3, "retrying").holds and not run(4, "retrying").holds and run(4, "failed").holds
