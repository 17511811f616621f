"""A deploy's stop of the process that executes tasks: SIGTERM, a grace period, then SIGKILL — what
``docker stop -t N``, Kubernetes' ``terminationGracePeriodSeconds`` and supervisord's ``stopwaitsecs``
do — while the trigger task runs; healed by a start (the new version coming up).

Two grace periods, so that both sides of the running task are seen by construction, not by timing:

- ``stop-worker-1s``: the trigger task stays held through the grace (a task longer than the grace), so
  the SIGKILL always comes while it runs: what a warm shutdown leaves of the running task, of the
  ones the worker reserved ahead and of those queued behind it.
- ``stop-worker-30s``: the trigger task is let go at the SIGTERM and has 0.2 s left to run: it ends well
  inside the grace, so a warm shutdown can finish it. A task lost here, though it finished inside its
  grace period, is a finding of its own.

With several workers, the one stopped is the one running the trigger task (the pid its body wrote to
the ledger); for a backend whose app executes task bodies, the app is what is stopped (uvicorn's
``--timeout-graceful-shutdown`` then applies too).
"""

from chaos.nemesis.base import Fault, start_dead_executors, struck_executor
from chaos.records.ledger import release


class StopWorker(Fault):
    role = "executor"

    def __init__(self, grace_s: float, finish_in_grace: bool):
        self.grace_s = grace_s
        self.finish_in_grace = finish_in_grace
        self.name = f"stop-worker-{grace_s:g}s"
        self.description = (f"SIGTERM the worker running the trigger task, SIGKILL it {grace_s:g} s later, then "
                            f"start it; the task " + ("is let go at the SIGTERM and ends inside the grace"
                                                      if finish_in_grace else "runs past the grace"))

    def strike(self, deployment, trigger) -> dict:
        server = struck_executor(deployment, trigger)
        pid = server.describe()["pid"]
        if self.finish_in_grace and trigger:
            release(deployment.ledger_dir, trigger.key)  # a body's hold is released by a file, not by its process
        stopped = server.stop(self.grace_s)
        return {"server": server.name, "pid": pid, "driver": server.describe()["driver"],
                "trigger_released_at_sigterm": self.finish_in_grace, **stopped}

    def heal(self, deployment) -> dict:
        return start_dead_executors(deployment)


STOP_WORKER_FAULTS = (StopWorker(1.0, finish_in_grace=False), StopWorker(30.0, finish_in_grace=True))
