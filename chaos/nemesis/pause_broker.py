"""A frozen broker: SIGSTOP (``docker pause`` under the docker driver) of the broker while a task
runs and others wait, for longer than its clients wait on a silent peer, then SIGCONT. Unlike a
refused connection (``broker-down``) or a restart, nothing closes: every connection stays open,
every write is taken by the kernel's buffers and never answered, and each client learns of the
freeze only from its own timeouts — a redis-py ``socket_timeout``, an AMQP heartbeat missed twice —
then reconnects to a broker that comes back with everything it had in memory.

The pause lasts ``patience_s(profile) + MARGIN_S`` by construction: past the longest a client of the
profile's broker waits before it gives a connection up (the profile's ``redis_client.socket_timeout_s``;
twice its ``broker_heartbeat_s`` when it states one, which is when an AMQP client closes a silent
connection), at most ``CAP_S``. A profile that leaves the socket timeout at redis-py's default has
none (a read waits for ever): no pause outlasts it, and the freeze lasts ``UNBOUNDED_PAUSE_S``, twice
what the other Redis profiles' clients wait, to show what the same freeze does without a timeout.
"""

from __future__ import annotations

import math
import time

from chaos.library_default import is_library_default
from chaos.nemesis.base import Fault
from chaos.profile import Profile

MARGIN_S = 3.0  # past the clients' timeouts, on a loaded machine
CAP_S = 40.0
UNBOUNDED_PAUSE_S = 10.0


def patience_s(profile: Profile) -> float:
    """How long a client of the profile's broker waits on a silent connection before giving it up."""
    socket_timeout = profile.redis_client.get("socket_timeout_s")
    if is_library_default(socket_timeout):
        return math.inf  # redis-py's default: no socket timeout
    waits = [float(socket_timeout or 0.0)]
    heartbeat = profile.settings.get("broker_heartbeat_s")
    if heartbeat:
        waits.append(2 * float(heartbeat))
    return max(waits)


def pause_s(profile: Profile) -> float:
    patience = patience_s(profile)
    return min(patience + MARGIN_S, CAP_S) if math.isfinite(patience) else UNBOUNDED_PAUSE_S


def _finite(seconds: float) -> float | str:
    return seconds if math.isfinite(seconds) else "no limit (socket timeout at the library's default)"


class PauseBroker(Fault):
    name = "pause-broker"
    description = ("SIGSTOP the broker while a task runs and others wait, for longer than its clients wait on a "
                   "silent connection, then SIGCONT")
    role = "broker"

    def strike(self, deployment, trigger) -> dict:
        broker = deployment.broker
        where = broker.describe()
        seconds = pause_s(deployment.profile)
        start = time.monotonic()
        broker.pause()
        time.sleep(seconds)  # this wait is the fault's duration, not a readiness guess
        return {"server": broker.name, "pid": where["pid"], "driver": where["driver"], "container": where.get("container"),
                "signal": "SIGSTOP", "pause_s": seconds, "clients_wait_s": _finite(patience_s(deployment.profile)),
                "paused_for_s": round(time.monotonic() - start, 3)}

    def heal(self, deployment) -> dict:
        broker = deployment.broker
        if broker.is_paused():
            broker.resume()
        return {"server": broker.name, "action": "resume (SIGCONT)"}
