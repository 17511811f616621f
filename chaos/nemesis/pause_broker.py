"""A frozen broker: SIGSTOP (``docker pause`` under the docker driver) of the broker while a task
runs and others wait, for longer than its clients wait on a silent peer, then SIGCONT. Unlike a
refused connection (``broker-down``) or a restart, nothing closes: every connection stays open,
every write is taken by the kernel's buffers and never answered, and each client learns of the
freeze only from its own timeouts — a redis-py ``socket_timeout``, an AMQP heartbeat missed twice —
then reconnects to a broker that comes back with everything it had in memory.

The pause lasts ``patience_s(profile) + MARGIN_S`` by construction: past the longest a client of the
profile's broker waits before it gives a connection up (the profile's ``redis_client.socket_timeout_s``;
twice its ``broker_heartbeat_s`` when it states one, which is when an AMQP client closes a silent
connection), at most ``CAP_S``.
"""

from __future__ import annotations

import time

from chaos.nemesis.base import Fault
from chaos.profile import Profile

MARGIN_S = 3.0  # past the clients' timeouts, on a loaded machine
CAP_S = 40.0


def patience_s(profile: Profile) -> float:
    """How long a client of the profile's broker waits on a silent connection before giving it up."""
    waits = [float(profile.redis_client.get("socket_timeout_s") or 0.0)]
    heartbeat = profile.settings.get("broker_heartbeat_s")
    if heartbeat:
        waits.append(2 * float(heartbeat))
    return max(waits)


def pause_s(profile: Profile) -> float:
    return min(patience_s(profile) + MARGIN_S, CAP_S)


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
                "signal": "SIGSTOP", "pause_s": seconds, "clients_wait_s": patience_s(deployment.profile),
                "paused_for_s": round(time.monotonic() - start, 3)}

    def heal(self, deployment) -> dict:
        broker = deployment.broker
        if broker.is_paused():
            broker.resume()
        return {"server": broker.name, "action": "resume (SIGCONT)"}
