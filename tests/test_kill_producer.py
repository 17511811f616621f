"""kill-producer by construction (chaos/nemesis/kill_producer.py, runner phase ``answer``), on real
servers: the app holds its answer once the backend has the task and says so in the ledger; the kill
comes then, the held submission reads ``info``, and the client submits the same task again once the
app is back. The app's own ledger record is no attempt of the body."""

from chaos.cell import parse_fault, run_cell, workload_for
from chaos.records.history import History
from chaos.records.ledger import read_ledger


def test_kill_producer_strikes_at_the_answer():
    assert parse_fault("kill-producer") == ("kill-producer", "answer")
    scenario = workload_for("persistence", "kill-producer", "quick")
    assert scenario.faults[0].phase == "answer" and scenario.faults[0].at_event == "answer-held"
    assert scenario.tasks[0].hold_at is None  # nothing else holds t0: the answer is the window


def _run(tmp_path, profile):
    cell = run_cell("persistence", "kill-producer", profile, budget="quick", infra="process", run_dir=tmp_path)
    ops = History.load(cell.directory / "history.jsonl").ops
    order = [(op.kind, op.type) for op in ops if op.key == "t0" and op.kind in ("submit", "fault")]
    return cell, order


def test_the_held_answer_is_cut_and_the_resubmission_runs_beside_the_queued_copy(tmp_path):
    cell, order = _run(tmp_path, "rq-default@aof-everysec")
    # the cut answer and the kill's evidence come in either order: the client sees the drop while the
    # fault still reaps the app
    assert order[:2] == [("submit", "invoke"), ("fault", "start")]
    assert sorted(order[2:4]) == [("fault", "note"), ("submit", "info")]
    assert order[4:] == [("fault", "end"), ("submit", "invoke"), ("submit", "ok")]
    held = [r for r in read_ledger(cell.directory / "ledger").records if r.event == "answer-held"]
    assert [(r.key, r.attempt) for r in held] == [("t0", 0)]
    outcomes = cell.outcomes()
    assert outcomes["t0"] == "duplicated"  # the queued copy and the resubmission both ran
    assert all(outcomes[f"t{i}"] == "ok" for i in range(1, 6))
    t0 = cell.check.outcomes["t0"]
    assert [a.number for a in t0.attempts] == [1, 2] and t0.successes == 2  # the app's record is no attempt
    assert cell.verdict.evidence["faults"][0]["struck"]["signal"] == "SIGKILL"


def test_a_body_that_runs_after_the_answer_never_starts_when_the_answer_is_cut(tmp_path):
    cell, order = _run(tmp_path, "bgtasks")
    assert ("submit", "info") in order and order[-1] == ("submit", "ok")
    started = [r for r in read_ledger(cell.directory / "ledger").records if r.key == "t0" and r.event == "started"]
    assert len(started) == 1  # only the resubmission ran
    assert cell.outcomes()["t0"] == "ok"
