"""rolling-deploy (chaos/nemesis/rolling_deploy.py) on real RQ servers: a new worker comes up beside
the one running the held task, the old one stops gracefully and is retired — no heal, no drain's
revival starts it again — and the task queued behind runs on the new one."""

import httpx
import pytest

from chaos.infra import get_driver
from chaos.infra.base import InfraError
from chaos.infra.deployment import Deployment
from chaos.nemesis import FAULTS
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger
from tests.helpers import wait_for


def test_rolling_deploy_hands_the_queue_to_a_new_worker_and_retires_the_old(tmp_path):
    fault = FAULTS["rolling-deploy"]
    dep = Deployment(get_profile("rq-default"), get_driver("process"), tmp_path)
    with dep:
        old = dep.executor
        with pytest.raises(InfraError, match="still runs: stop it"):
            dep.retire(old)  # a live server is never retired
        submit = lambda key, **extra: httpx.post(f"{dep.app_url}/tasks", json={"key": key, **extra}, timeout=30)
        submit("h", hold_at="start", hold_timeout_s=60)
        held = wait_for(lambda: [r for r in read_ledger(dep.ledger_dir).records if r.event == "held"])[0]
        submit("q", duration_s=0.1)
        struck = fault.strike(dep, held)
        assert struck["old"]["server"] == "worker" and struck["new"]["server"] == "worker-2"
        assert struck["exited_within_grace"] and struck["exit_code"] == 0  # the released task ended inside the grace
        assert not old.is_alive() and [s.name for s in dep.executors] == ["worker-2"] and "worker" in dep.retired
        healed = fault.heal(dep)
        assert healed["serving"] == ["worker-2"] and healed["retired"] == ["worker"]
        assert dep.heal() == [] and dep.revive_crashed() == [] and not old.is_alive()  # retired for good
        assert dep.describe()["retired"]["worker"]["pid"] == struck["old"]["pid"]
        records = wait_for(lambda: [r for r in read_ledger(dep.ledger_dir).records
                                    if r.key == "q" and r.event == "succeeded"])
        started = {r.key: r.detail["executor"] for r in read_ledger(dep.ledger_dir).records if r.event == "started"}
        assert started == {"h": "worker", "q": "worker-2"} and len(records) == 1
        assert any(r.key == "h" and r.event == "succeeded" for r in read_ledger(dep.ledger_dir).records)
        dep.executor.kill()
        with pytest.raises(InfraError, match="only executor"):
            dep.retire(dep.executor)  # a deployment keeps an executor to drain its tasks


def test_rolling_deploy_does_not_apply_where_the_app_runs_the_bodies():
    assert "no worker to deploy" in FAULTS["rolling-deploy"].not_applicable(get_profile("bgtasks"))
    assert FAULTS["rolling-deploy"].not_applicable(get_profile("rq-default")) is None
