"""kill-broker by construction (chaos/nemesis/kill_broker.py), on real servers: the broker is frozen
once it says it has written what it acknowledged, the last submission is made to the frozen broker,
and only then is it killed — whatever tasks a variation adds before the last one."""

from chaos.cell import parse_fault, run_cell, workload_for
from chaos.records.history import History
from chaos.records.taskspec import TaskSpec


def test_kill_broker_strikes_before_the_last_submission():
    assert parse_fault("kill-broker") == ("kill-broker", "last-submit")
    assert parse_fault("restart-broker") == ("restart-broker", "run")
    assert workload_for("persistence", "kill-broker", "quick").faults[0].phase == "last-submit"


def test_the_last_submission_meets_a_frozen_settled_broker_and_the_kill_follows_its_answer(tmp_path):
    canonical = workload_for("persistence", "kill-broker", "quick")
    extra = TaskSpec(key="x0", duration_s=0.05)  # a variation's added task: now the last submission
    scenario = canonical.varied(tasks=(*canonical.tasks, extra), pauses_s=())
    cell = run_cell("persistence", "kill-broker", "rq-default@aof-everysec", budget="quick", infra="process",
                    run_dir=tmp_path, scenario=scenario)
    ops = History.load(cell.directory / "history.jsonl").ops
    order = [(op.kind, op.type, op.key) for op in ops if op.kind in ("submit", "fault") and op.type != "invoke"]
    submits = [key for kind, _, key in order if kind == "submit"]
    assert submits == [t.key for t in scenario.tasks]
    start = next(i for i, (kind, t, _) in enumerate(order) if kind == "fault" and t == "start")
    end = next(i for i, (kind, t, _) in enumerate(order) if kind == "fault" and t == "end")
    last = max(i for i, (kind, _, key) in enumerate(order) if kind == "submit" and key == "x0")
    assert start < last < end  # x0 alone was submitted inside the fault
    assert all(i < start for i, (kind, _, key) in enumerate(order) if kind == "submit" and key != "x0")
    struck = cell.verdict.evidence["faults"][0]["struck"]
    assert struck["frozen"] and struck["settle"]["settled"] and struck["settle"]["aof_buffer_length"] == 0
    assert struck["reservations"]["full"] is None  # RQ reserves nothing ahead: nothing waited for
    outcomes = cell.outcomes()
    assert outcomes["x0"] == "indeterminate"  # Redis answers no command while frozen: never acknowledged
    assert cell.verdict.verdict == "holds"  # what AOF had written survived the kill


def test_celery_is_killed_only_once_no_task_is_between_a_pop_and_its_record(tmp_path):
    """The runner asks the backend's reservations probe before every broker fault (chaos/runner.py
    _await_reservations): on Celery it answered, the kill followed, and what the AOF had kept survived."""
    cell = run_cell("persistence", "kill-broker", "celery-default@aof-always", budget="quick", infra="process",
                    run_dir=tmp_path)
    struck = cell.verdict.evidence["faults"][0]["struck"]
    assert struck["reservations"]["full"] is True, struck
    assert struck["frozen"] and struck["settle"]["settled"]
    assert cell.verdict.verdict == "holds", cell.verdict.result
