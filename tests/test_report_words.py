"""The scenario-in-words and the run summary, on real cells (tests/report_data/run: copied from a
quick run — report.json, and each cell's history.jsonl, ledger/ and scenario.json)."""

import json
from pathlib import Path

import pytest

from chaos.gating import load_report
from chaos.report.cell_view import load_cell
from chaos.report.words import key_ranges, scenario_in_words, summary_paragraph, tasks_in_words

RUN = Path(__file__).parent / "report_data" / "run"


@pytest.fixture(scope="module")
def report():
    return load_report(RUN)[1]  # as every reader of a stored run does: faults renamed since read as named now


def view(report, name):
    cell = next(c for c in report["cells"] if c["directory"].endswith("/" + name))
    v = load_cell(cell, report, RUN)
    assert v.found and not v.missing
    return v


def words(report, name):
    v = view(report, name)
    return scenario_in_words(v.scenario, v.cell, v.ops)


def test_key_ranges():
    assert key_ranges(["t0", "t1", "t2", "t3", "t4"]) == "t0–t4"
    assert key_ranges(["t1", "t2", "c0"]) == "t1, t2, c0"
    assert key_ranges(["f0", "f1", "f2", "x", "t7"]) == "f0–f2, x, t7"
    assert key_ranges([]) == ""


def test_tasks_group_consecutive_equal_specs():
    tasks = [{"key": "t0", "duration_s": 0.2, "hold_at": "start"}] + [{"key": f"t{i}", "duration_s": 0.5} for i in range(1, 5)]
    assert tasks_in_words(tasks) == "5 tasks: t0 (0.2 s, held at its start), t1–t4 (0.5 s each)"
    assert tasks_in_words([{"key": "a", "duration_s": 1, "fail_times": 1, "priority": 9, "countdown_s": 2}]) == \
        "1 task: a (1 s, fails on its first attempt, priority 9, countdown 2 s)"


def test_a_killed_worker_that_leaves_a_job_stuck(report):
    assert words(report, "persistence-kill-worker-rq-default@aof-everysec") == (
        "5 tasks: t0 (0.2 s, held at its start), t1–t4 (0.5 s each); kill-worker: when t0 had started (held at its "
        "start), the worker process (pid 4344) was killed with SIGKILL; worker started again 0.67 s later (pid 4352) "
        "→ t0 stuck (1 attempt, 0 succeeded; status says 'running' (started) after the 7.2 s drain); t1–t4 ok.")


def test_redis_killed_without_a_snapshot_loses_the_queue(report):
    text = words(report, "persistence-kill-redis-rq-default@rdb")  # a stored run keeps its directories' old names
    assert "the redis process (pid 6071) was killed with SIGKILL" in text
    assert text.endswith("→ t1–t4 lost (never ran; status says 'unknown' after the 7.2 s drain); t0 ok.")


def test_a_network_fault_names_its_toxic_and_its_window(report):
    text = words(report, "persistence-reset-peer-run-celery-default@aof-everysec")
    assert "a Toxiproxy reset_peer toxic (timeout=0) hit the broker connections (upstream stream); healed 3.00 s later" in text
    assert "t1–t4 lost" in text and "t0 status-mismatch (ledger: succeeded; status: 'running' ('STARTED'))" in text


def test_a_redelivery_is_told_with_its_recovery_time(report):
    v = view(report, "persistence-kill-worker-celery-acks-late@aof-everysec")
    t0 = next(t for t in v.tasks if t["key"] == "t0")
    text = scenario_in_words(v.scenario, v.cell, v.ops)
    assert f"t0 retried (re-delivered after the fault: 2 attempts, done {t0['recovery_s']:g} s after the fault)" in text


def test_no_fault_and_no_status_api(report):
    assert words(report, "retry-none-rq-retry@aof-everysec").endswith("no fault injected → c0 ok; f0, f1 retried.")
    assert "→ t0–t4 lost (1 attempt, 0 succeeded; no status API after the 7.2 s drain)." in \
        words(report, "persistence-kill-worker-bgtasks@aof-everysec")


def test_words_without_the_cell_directory_still_come_from_report_json(report):
    cell = report["cells"][0]
    v = load_cell(cell, report, RUN.parent / "nowhere")
    assert not v.found and v.missing
    assert scenario_in_words(v.scenario, v.cell, v.ops).startswith(f"{len(cell['check']['tasks'])} tasks; ")


def test_summary_is_short_and_ranked_worst_first(report):
    text = summary_paragraph(report)
    assert text.startswith("6 cells over 5 profiles: 3 violated, 1 not-claimed, 2 holds.")
    # one finding per claim × profile, its faults inside it, the worst share of broken tasks first
    assert ("Broken, worst first — persistence on celery-default: 4 lost and 1 status-mismatch of 5 under "
            "reset-peer-run; persistence on rq-default: 4 lost of 5 under kill-broker with Redis persistence rdb, "
            "1 stuck of 5 under kill-worker.") in text
    assert text.endswith("Not promised by the seed, and indeed not kept: persistence on bgtasks: 5 lost of 5 under kill-worker.")
    assert text.count("rq-default") == 1 and text.count("broke it") == 0
    assert len(text) < 500


def test_summary_ranks_by_what_broke_not_by_order(report):
    verdicts = [v for v in report["verdicts"] if v["verdict"] == "violated"]
    text = summary_paragraph(dict(report, verdicts=list(reversed(verdicts))))
    assert text.index("celery-default") < text.index("rq-default")  # 5 of 5 broken outranks 4 of 5


def test_many_findings_are_cut_and_each_kind_said_once():
    from gate_data import verdict

    run = [verdict("persistence", "kill-worker", f"p{i}", "violated", violations=i, relevant=6,
                   counts={"lost": i, "ok": 6 - i}) for i in range(1, 7)]
    run.append(verdict("status", "none", "p1", "inconclusive", relevant=0, counts={}))
    text = summary_paragraph({"verdicts": run, "errors": [{"cell": "x", "error": "y"}]})
    assert text.index("p6:") < text.index("p5:") < text.index("p4:") < text.index("p3:")
    assert "p2:" not in text and "and 2 more in the matrix" in text
    assert "Nothing to judge (inconclusive): status on p1." in text
    assert text.endswith("1 cell crashed before a verdict (see Errors).")
    assert text.count("Broken, worst first") == 1


def test_summary_when_nothing_broke(report):
    held = dict(report, verdicts=[v for v in report["verdicts"] if v["verdict"] == "holds"])
    assert summary_paragraph(held).endswith("Nothing broke: every claim checked held.")
    assert summary_paragraph({"verdicts": [], "errors": [{"cell": "x", "error": "y"}]}) == \
        "This run recorded no verdicts. 1 cell crashed before a verdict (see Errors)."


def test_a_broker_fault_says_whether_the_broker_had_every_acknowledged_task():
    from chaos.report.words import _struck

    stopped = {"signal": "SIGTERM", "server": "rabbitmq", "pid": 7}
    had = _struck({"struck": {**stopped, "received": {"received": True, "ids": 4, "waited_s": 0.02}}})
    assert had == ("the rabbitmq process (pid 7) was stopped with SIGTERM, after the broker had received all 4 "
                   "acknowledged tasks (0.02 s)")
    lacked = _struck({"struck": {**stopped, "received": {"received": False, "missing": ["id-3"], "waited_s": 10.1}}})
    assert lacked.endswith(", though the broker never showed it had id-3 (10.1 s)")
    assert _struck({"struck": {**stopped, "received": {"received": None}}}) == "the rabbitmq process (pid 7) was stopped with SIGTERM"
