"""A frozen worker: SIGSTOP (``docker pause`` under the docker driver) of every process of the worker
running the trigger task — a long GC, a stopped VM, a laptop lid — for longer than its profile's
lease, then SIGCONT. The other workers go on meanwhile; whether one of them was handed the frozen
worker's task while it was frozen, and both ran it (a lease overlap), is in the ledger: the
checker's ``concurrent`` attempts, with the overlap in seconds in the distributed claim's
measurements.

The lease is the profile's ``lease_s`` (chaos/profiles.toml): how long a worker may go silent before
its broker or its backend may give its work to another. The pause lasts ``lease_s + MARGIN_S`` by
construction, at most ``CAP_S`` = 40 s (the evidence says when the cap left it shorter than the lease), and
``DEFAULT_S`` for a profile that states no lease. The trigger task stays held through the pause: the
frozen attempt is still running when the worker thaws, and goes on to finish once the drain
releases it.
"""

from __future__ import annotations

import time

from chaos.nemesis.base import Fault, struck_executor
from chaos.profile import Profile

MARGIN_S = 3.0  # past the lease: one restore sweep or heartbeat check, on a loaded machine
CAP_S = 40.0  # the longest lease it outlasts (RabbitMQ's heartbeat deadline: 30 s); RQ's 660 s it does not
DEFAULT_S = 5.0


def pause_s(profile: Profile) -> float:
    lease = profile.settings.get("lease_s")
    return DEFAULT_S if lease is None else min(float(lease) + MARGIN_S, CAP_S)


class PauseWorker(Fault):
    name = "pause-worker"
    description = "SIGSTOP the worker running the trigger task for longer than the profile's lease, then SIGCONT"
    role = "executor"

    def strike(self, deployment, trigger) -> dict:
        server = struck_executor(deployment, trigger)
        lease = deployment.profile.settings.get("lease_s")
        seconds = pause_s(deployment.profile)
        start = time.monotonic()
        server.pause()
        time.sleep(seconds)  # this wait is the fault's duration, not a readiness guess
        return {"server": server.name, "pid": server.describe()["pid"], "driver": server.describe()["driver"],
                "signal": "SIGSTOP", "pause_s": seconds, "lease_s": lease,
                "longer_than_lease": None if lease is None else seconds > float(lease),
                "paused_for_s": round(time.monotonic() - start, 3)}

    def heal(self, deployment) -> dict:
        resumed = []
        for server in deployment.executors:
            if server.is_paused():
                server.resume()
                resumed.append(server.name)
        return {"action": "resume (SIGCONT)", "resumed": resumed}
