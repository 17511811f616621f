"""What every network fault shares: it hurts the Toxiproxy proxy in front of the broker — the only
way any target, worker or result backend reaches it — for a window, then heals by undoing exactly
what it did. Subclasses say which toxic (or "down") and its attributes, with units in the names.

A network fault strikes once the workers have taken from the broker all they will before a running
task ends (the backend's ``reservations_full`` probe; the runner waits for it before every broker
fault, chaos/runner.py _await_reservations). Which of a
worker's connections the fault meets first decides the outcome: a consumer still popping the last
submissions sits inside a blocking read, sees the fault and recovers; one whose prefetch window is
full is idle, and the fault first reaches the path that stores the running task's result and acks
it (expectations.toml, the network block). Struck a few milliseconds apart, the same cell gave
either (persistence/limit-data-run/celery-default held once in CI, 2026-12-02): waiting for the full
window makes the second one the cell's, every time. A backend that reserves nothing strikes at once."""

from __future__ import annotations

from chaos.nemesis.base import Fault

WINDOW_S = 3.0
# The faults that close or reset a connection (limit-data, reset-peer) last longer: struck while t0 runs
# ("-run"), what decides the cell is how the worker handles t0's end behind the cut — Celery's child tries
# to store the result three times, 1 s apart (its result backend's retry policy: 0 + 1 + 1 s), then the
# main process records the failure and acks, and that is where the worker gives up consuming. With a
# 3 s window, on a loaded machine the main process reached that point after the heal and the cell held
# (persistence/limit-data-run/celery-default in the default run of 2026-12-03: the child's last retry
# 2.4 s after the strike, its handling 0.1 s after the heal). 6 s covers those retries twice over.
RESULT_RETRIES_WINDOW_S = 6.0


class ToxicFault(Fault):
    """Adds one toxic to the broker's proxy on ``strike`` and removes it on ``heal``."""

    role = "broker-network"
    window_s = WINDOW_S
    toxic_type: str
    stream = "downstream"
    attributes: dict[str, int] = {}

    @property
    def toxic_name(self) -> str:
        return f"taskchaos-{self.name}"

    def strike(self, deployment, trigger) -> dict:
        toxic = deployment.toxiproxy.client.add_toxic(deployment.toxiproxy.proxy, self.toxic_type, dict(self.attributes),
                                                      stream=self.stream, name=self.toxic_name)
        return {"proxy": deployment.toxiproxy.proxy, "toxic": toxic.name, "type": self.toxic_type,
                "stream": self.stream, "attributes": dict(self.attributes), "flavour": deployment.toxiproxy.flavour}

    def heal(self, deployment) -> dict:
        deployment.toxiproxy.client.remove_toxic(deployment.toxiproxy.proxy, self.toxic_name)
        return {"proxy": deployment.toxiproxy.proxy, "removed": self.toxic_name}
