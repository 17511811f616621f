"""Deployment needs: ``workers`` (N worker servers) and ``prefetch`` (Celery's prefetch for a cell)."""

import httpx
import pytest

from chaos.infra import get_driver
from chaos.infra.base import InfraError
from chaos.infra.deployment import Deployment
from chaos.nemesis import FAULTS
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger, release
from tests.helpers import wait_for


def test_unknown_or_bad_needs_are_refused(tmp_path):
    with pytest.raises(InfraError, match="needs teleporter, which a deployment cannot run"):
        Deployment(get_profile("rq-default"), get_driver("process"), tmp_path, needs={"teleporter": True})
    with pytest.raises(InfraError, match="workers=0"):
        Deployment(get_profile("rq-default"), get_driver("process"), tmp_path, needs={"workers": 0})


def test_prefetch_replaces_celerys_setting_and_says_so_elsewhere(tmp_path):
    celery = Deployment(get_profile("celery-default"), get_driver("process"), tmp_path / "c", needs={"reserve_ahead": 1})
    assert celery.profile.settings["prefetch_multiplier"] == 1 and "prefetch_multiplier=1" in celery.notes[0]
    assert get_profile("celery-default").settings["prefetch_multiplier"] == 4  # the profile itself is untouched
    rq = Deployment(get_profile("rq-default"), get_driver("process"), tmp_path / "r", needs={"reserve_ahead": 1})
    assert "reserves no tasks ahead" in rq.notes[0]


def test_bgtasks_has_one_executor_whatever_workers_asks(tmp_path):
    dep = Deployment(get_profile("bgtasks"), get_driver("process"), tmp_path, needs={"workers": 2})
    assert [s.name for s in dep.executors] == ["app"] and "one executor" in dep.notes[0]


def test_two_rq_workers_and_kill_worker_hits_the_one_running_the_task(tmp_path):
    dep = Deployment(get_profile("rq-default"), get_driver("process"), tmp_path, needs={"workers": 2})
    with dep:
        assert [s.name for s in dep.executors] == ["worker", "worker-2"]
        # started side by side, from threads that outlive the start (PR_SET_PDEATHSIG is per thread)
        assert all(s.is_alive() for s in dep.servers.values())
        httpx.post(f"{dep.app_url}/tasks", json={"key": "h", "hold_at": "start", "hold_timeout_s": 60}, timeout=30)
        held = wait_for(lambda: [r for r in read_ledger(dep.ledger_dir).records if r.event == "held"])[0]
        started = next(r for r in read_ledger(dep.ledger_dir).records if r.event == "started")
        runner = dep.executor_for(held.pid)
        assert started.detail["executor"] == runner.name  # the body names the server that runs it
        other = next(s for s in dep.executors if s is not runner)
        FAULTS["kill-worker"].strike(dep, held)
        assert not runner.is_alive() and other.is_alive()
        healed = FAULTS["kill-worker"].heal(dep)
        assert [s["server"] for s in healed["started"]] == [runner.name] and runner.is_alive()
        release(dep.ledger_dir, "h")
        with pytest.raises(InfraError, match="belongs to none"):
            dep.executor_for(1)
