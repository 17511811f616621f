"""The priority, distributed and throughput claims judged on hand-made runs (no servers)."""

import pytest

from chaos.judgement.checker import check
from chaos.judgement.claims import CLAIMS, Evidence
from chaos.judgement.claims.priority import inversions
from chaos.judgement.verdict import decide
from chaos.profile import get_profile
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import Gate, Scenario
from chaos.scenario.workloads import priority
from tests.helpers import Script

DONE = ["started", "succeeded", "returned"]


def judge(claim, specs, script, profile="rq-default"):
    ledger = script.ledger()
    evidence = Evidence(specs, check(specs, script.history, ledger), ledger, script.history)
    result = CLAIMS[claim].judge(evidence, get_profile(profile))
    return result, decide(result, get_profile(profile).backend)


def test_inversions_count_pairs_that_started_out_of_order_once_both_were_queued():
    priority = {"low": 1, "high": 9, "late": 9}
    queued = {"low": 0.0, "high": 0.1, "late": 5.0}
    started = {"low": 1.0, "high": 2.0, "late": 6.0}
    # low started at 1.0 while high (queued at 0.1) waited: one inversion; late was queued after low started
    assert inversions(priority, queued, started) == [("low", "high")]
    assert inversions(priority, queued, {"high": 1.0, "low": 2.0, "late": 6.0}) == []


def priority_run(order):
    """Tasks a (priority 1), b (5), c (9), all queued at 0..0.2, starting in ``order``."""
    specs = [TaskSpec(key=k, priority=p) for k, p in (("a", 1), ("b", 5), ("c", 9))]
    s = Script()
    for i, spec in enumerate(specs):
        s.submit(spec.key, t=i * 0.1)
    for i, key in enumerate(order):
        s.ran(key, 1, DONE, 1.0 + i).status(key, "succeeded")
    return specs, s


def test_priority_holds_in_priority_order_and_is_violated_otherwise():
    result, verdict = judge("priority", *priority_run("cba"))
    assert (verdict, result.violations, result.relevant) == ("holds", 0, 3)
    result, verdict = judge("priority", *priority_run("acb"))
    assert verdict == "violated" and result.violations == 2  # a before b and c
    assert result.measurements["inversions"] == [["a", "b"], ["a", "c"]]


def test_priority_is_unsupported_when_the_target_answers_501():
    specs = [TaskSpec(key="a", priority=1), TaskSpec(key="b", priority=9)]
    s = Script()
    for spec in specs:
        s.op("submit", "invoke", spec.key).op("submit", "fail", spec.key, 0.01, unsupported=["priority"])
    _, verdict = judge("priority", specs, s, "bgtasks")
    assert verdict == "unsupported"


def distributed_run(executors, overlap=False):
    specs = [TaskSpec(key=f"d{i}") for i in range(len(executors))]
    s = Script()
    for i, (spec, executor) in enumerate(zip(specs, executors)):
        s.submit(spec.key).ran(spec.key, 1, DONE, 1.0 + i, executor=executor).status(spec.key, "succeeded")
    if overlap:  # d0 ran a second time while its first attempt was still running
        s.ran("d0", 2, DONE, 1.05, executor=executors[-1])
    return specs, s


def test_distributed_needs_two_executors_and_no_task_twice():
    result, verdict = judge("distributed", *distributed_run(["worker", "worker-2", "worker"]))
    assert verdict == "holds" and result.measurements["attempts_per_executor"] == {"worker": 2, "worker-2": 1}
    result, verdict = judge("distributed", *distributed_run(["app", "app", "app"]), profile="bgtasks")
    assert (verdict, result.violations) == ("not-claimed", 3)
    result, verdict = judge("distributed", *distributed_run(["worker", "worker-2"], overlap=True))
    assert verdict == "violated" and result.violating_keys == ["d0"]
    assert result.measurements["overlap_s"] == {"d0": 0.15}  # from d0's second start to its first's last record


def test_a_pause_outlasts_the_profiles_lease_within_a_cap():
    from chaos.nemesis.pause_worker import CAP_S, DEFAULT_S, MARGIN_S, pause_s

    assert pause_s(get_profile("celery-acks-late")) == get_profile("celery-acks-late").settings["lease_s"] + MARGIN_S
    assert pause_s(get_profile("rq-default")) == CAP_S < get_profile("rq-default").settings["lease_s"]
    assert pause_s(get_profile("bgtasks")) == DEFAULT_S  # no lease stated


def test_throughput_is_measured_against_the_serial_time():
    specs = [TaskSpec(key=f"n{i}", duration_s=1.0) for i in range(4)]
    s = Script()
    for i, spec in enumerate(specs):
        s.submit(spec.key, t=0.0)
        s.ran(spec.key, 1, DONE, 1.0 + (i // 2) * 1.0, step=0.5, executor=f"w{i % 2}").status(spec.key, "succeeded")
    result, verdict = judge("throughput", specs, s)
    m = result.measurements
    assert verdict == "measured"
    assert (m["executors"], m["max_parallel"], m["serial_s"], m["processing_s"], m["makespan_s"]) == (2, 2, 4.0, 2.0, 3.0)
    assert (m["speedup"], m["efficiency"], m["tasks_per_s"]) == (2.0, 1.0, 2.0)


def test_the_priority_workload_gates_its_backlog_behind_the_held_task_and_round_trips():
    scenario = priority("kill-worker", "run", "quick")
    assert scenario.gates == (Gate("t0", "held"),) and scenario.tasks[0].hold_at == "start"
    assert Scenario.from_json(scenario.to_json()) == scenario
    with pytest.raises(ValueError, match="gate after 'nope'"):
        Scenario(name="x", tasks=scenario.tasks, gates=(Gate("nope"),))
