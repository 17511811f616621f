"""The drain ends early only when no redelivery is possible (chaos/quiesce.py, a backend's
``pending_deliveries``): on real servers, what the broker still holds is counted until the ack."""

import httpx

from chaos.backends import get_backend
from chaos.cell import run_cell
from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger, release
from tests.helpers import wait_for


def _events(dep, event):
    return [r for r in read_ledger(dep.ledger_dir).records if r.event == event]


def test_what_the_broker_could_still_deliver_is_counted_until_the_ack(tmp_path):
    dep = Deployment(get_profile("celery-acks-late"), get_driver("process"), tmp_path)
    with dep:
        assert dep.pending_deliveries() == 0
        httpx.post(f"{dep.app_url}/tasks", json={"key": "h", "hold_at": "start", "hold_timeout_s": 60}, timeout=30)
        wait_for(lambda: _events(dep, "held"))
        assert dep.pending_deliveries() >= 1  # delivered, running, not acked (acks_late)
        release(dep.ledger_dir, "h")
        wait_for(lambda: _events(dep, "returned"))
        wait_for(lambda: dep.pending_deliveries() == 0)
        # a countdown the worker holds until it is due: unacked, so a redelivery is still possible
        httpx.post(f"{dep.app_url}/tasks", json={"key": "c", "countdown_s": 60}, timeout=30)
        wait_for(lambda: dep.pending_deliveries() == 1)
        assert not _events(dep, "started")[1:]


def test_what_rq_could_still_run_is_counted_in_its_queues_and_registries(tmp_path):
    dep = Deployment(get_profile("rq-retry"), get_driver("process"), tmp_path)
    with dep:
        assert dep.pending_deliveries() == 0
        httpx.post(f"{dep.app_url}/tasks", json={"key": "h", "hold_at": "start", "hold_timeout_s": 60}, timeout=30)
        wait_for(lambda: _events(dep, "held"))
        assert dep.pending_deliveries() == 1  # in StartedJobRegistry (rq:wip:...) while it runs
        httpx.post(f"{dep.app_url}/tasks", json={"key": "q"}, timeout=30)
        assert dep.pending_deliveries() == 2  # and one queued behind it (the only worker is busy)
        release(dep.ledger_dir, "h")
        wait_for(lambda: len(_events(dep, "returned")) == 2)
        wait_for(lambda: dep.pending_deliveries() == 0)
        # a countdown waits in ScheduledJobRegistry (no scheduler runs here): it may still run
        httpx.post(f"{dep.app_url}/tasks", json={"key": "c", "countdown_s": 60}, timeout=30)
        assert dep.pending_deliveries() == 1


def test_a_backend_or_a_broker_kind_that_cannot_tell_says_so():
    assert get_backend("celery").pending_deliveries("rabbitmq", "amqp://guest:guest@127.0.0.1:1//") is None
    assert get_backend("bgtasks").pending_deliveries("redis", "redis://127.0.0.1:1") is None


def test_a_settled_cell_ends_its_drain_before_the_recovery_window(tmp_path):
    profile = get_profile("celery-acks-late")
    cell = run_cell("distributed", "none", profile.id, budget="quick", infra="process", run_dir=tmp_path)
    quiesce = cell.verdict.evidence["quiesce"]
    assert quiesce["ended_by"] == "nothing-pending" and not quiesce["timed_out"]  # not "window"
    assert cell.verdict.verdict == "holds"


def test_a_broker_that_does_not_answer_yet_cannot_tell():
    from chaos.infra.ports import free_port

    assert get_backend("celery").pending_deliveries("redis", f"redis://127.0.0.1:{free_port()}") is None


def test_a_task_whose_process_and_parent_have_exited_is_beyond_recovery():
    """What chaos/quiesce.py may stop waiting for: the last record's writer and its parent are both
    gone (a killed worker with its child), not a dead child whose parent lives and records the loss."""
    import os
    import subprocess
    import sys
    from types import SimpleNamespace

    from chaos.quiesce import _beyond_recovery
    from chaos.records.ledger import LedgerRecord

    driver = get_driver("process")
    deployment = SimpleNamespace(process_running=lambda pid: pid > 0 and driver.process_running(pid))
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                            text=True, check=True)
    dead = int(exited.stdout)

    def last(key, pid, ppid, event="held"):
        return LedgerRecord(key, "id", 1, event, pid, "test", 1.0, 1.0, ppid=ppid)

    assert _beyond_recovery(["a"], [last("a", dead, dead)], deployment)
    assert not _beyond_recovery(["a"], [last("a", dead, os.getpid())], deployment)  # the parent lives
    assert not _beyond_recovery(["a"], [last("a", os.getpid(), dead)], deployment)  # it still runs
    assert not _beyond_recovery(["a"], [last("a", dead, 0)], deployment)  # parent not recorded: cannot tell
    assert not _beyond_recovery(["a", "b"], [last("a", dead, dead)], deployment)  # b never ran: may still come
    assert _beyond_recovery(["a"], [last("a", os.getpid(), os.getpid(), "started"), last("a", dead, dead)], deployment)


def test_a_killed_worker_s_task_ends_the_drain_once_nothing_is_pending(tmp_path):
    cell = run_cell("distributed", "kill-worker", "celery-default", budget="quick", infra="process", run_dir=tmp_path)
    quiesce = cell.verdict.evidence["quiesce"]
    assert quiesce["ended_by"] == "beyond-recovery" and not quiesce["timed_out"], quiesce
    assert cell.verdict.verdict == "holds"  # as expectations.toml has it for this cell
