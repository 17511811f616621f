"""A rolling deploy of the workers: while the trigger task runs and others wait, a new worker is
started beside the old one and, once it is ready, the old one is stopped as a deploy stops it —
SIGTERM, a grace period of ``GRACE_S``, then SIGKILL — and never started again. What a deploy that
keeps a worker serving throughout does (Kubernetes' RollingUpdate with ``maxSurge``, a blue-green
switch of a worker pool).

The trigger task is let go at the SIGTERM and ends well inside the grace, like most tasks of a
deploy that sized its grace period for them (``stop-worker-30s``): so what the run shows is what the
hand-over from the old worker to the new one does with the running task, the ones the old worker
had reserved ahead and the ones still queued — not a task cut short by the grace, which
``stop-worker-1s`` shows.

The new worker is the deployment's for the rest of the cell (a crash of it is revived like any
worker's); the old one is retired (``Deployment.retire``), so neither heal nor the drain starts it
again. Which tasks ran on which is in the ledger (each body records its executor), counted in the
heal's evidence. A backend whose app runs task bodies has no worker to deploy beside it: the fault
does not apply (rolling the app itself needs a load balancer in front of two apps, which taskchaos
does not run).
"""

from __future__ import annotations

import time

from chaos.backends import get_backend
from chaos.nemesis.base import Fault, struck_executor
from chaos.profile import Profile
from chaos.records.ledger import read_ledger, release

GRACE_S = 30.0


class RollingDeploy(Fault):
    name = "rolling-deploy"
    description = (f"start a new worker beside the one running the trigger task, then SIGTERM the old one "
                   f"(SIGKILL {GRACE_S:g} s later) and retire it; the task is let go at the SIGTERM")
    role = "executor"

    def not_applicable(self, profile: Profile) -> str | None:
        if get_backend(profile.backend).executor_is_app:
            return (f"{profile.name} runs task bodies in its app, not in workers: there is no worker to deploy "
                    "beside it (a rolling deploy of the app needs a load balancer, which taskchaos does not run)")
        return super().not_applicable(profile)

    def strike(self, deployment, trigger) -> dict:
        old = struck_executor(deployment, trigger)
        old_pid = old.describe()["pid"]
        start = time.monotonic()
        new = deployment.add_worker()
        new_ready_s = round(time.monotonic() - start, 3)
        # how long the trigger had run when the new worker was ready: past the profile's lease, what the
        # old worker reserved ahead may be handed out again by the new one (Celery on Redis: its restore
        # sweep at start, past visibility_timeout), beside the old worker's own restore at its shutdown
        ran_s = round(time.time() - trigger.wall, 3) if trigger else None
        if trigger:
            release(deployment.ledger_dir, trigger.key)  # a body's hold is released by a file, not by its process
        stopped = old.stop(GRACE_S)
        deployment.retire(old)
        return {"old": {"server": old.name, "pid": old_pid}, "new": {"server": new.name, "pid": new.describe()["pid"],
                                                                     "ready_after_s": new_ready_s,
                                                                     "trigger_had_run_s": ran_s,
                                                                     "lease_s": deployment.profile.settings.get("lease_s")},
                "driver": old.describe()["driver"], "trigger_released_at_sigterm": True, **stopped}

    def heal(self, deployment) -> dict:
        """Nothing to start: the deploy is done. The evidence: the attempts started so far on each worker (the ledger holds the rest)."""
        started: dict[str, int] = {}
        for record in read_ledger(deployment.ledger_dir).records:
            executor = record.detail.get("executor") if record.event == "started" else None
            if executor:
                started[executor] = started.get(executor, 0) + 1
        return {"action": "none (the old worker is retired)", "serving": [s.name for s in deployment.executors],
                "retired": sorted(deployment.retired), "attempts_started_so_far": started}
