"""Memory pressure on the broker, one fault per eviction policy (``memory-<policy>``, the policies of
each broker kind in chaos/brokers.toml): the broker's memory limit set just above what it holds, under
that policy, and unrelated keys written until the policy has shown what it does — a refusal, or every
key from before that the policy may evict gone (chaos/infra/memory.py). The broker stays at its limit
for the fault's window (every submission and every result written meanwhile meets the policy), then
the filler is deleted and the limit and policy it found are restored.

Which policy loses queued tasks without a word, and which makes writes fail loudly (a submission
answered 503: the client knows, nothing is lost that it was told was accepted), is the run's to
show, per profile and phase (``-run``: t0 running, the rest queued and reserved when the pressure
comes; ``-submit``: the rest submitted under it). A fault that never reached the limit proves nothing:
its cell is inconclusive (chaos/landing.py, ``pressure``).
"""

from __future__ import annotations

from chaos.brokers import broker_kind, eviction_policies
from chaos.nemesis.base import Fault
from chaos.profile import Profile

WINDOW_S = 3.0


class MemoryPressure(Fault):
    role = "broker"
    window_s = WINDOW_S

    def __init__(self, policy: str):
        self.policy = policy
        self.name = f"memory-{policy}"
        self.description = (f"the broker at its memory limit under maxmemory-policy {policy}, filled with unrelated "
                            f"keys, for {WINDOW_S:g} s")

    def not_applicable(self, profile: Profile) -> str | None:
        why = super().not_applicable(profile)
        if why:
            return why
        kind = broker_kind(profile.broker)
        if self.policy not in kind.eviction_policies:
            return (f"{kind.title} has no eviction policy {self.policy!r} (chaos/brokers.toml: "
                    f"{', '.join(kind.eviction_policies) or 'no memory-pressure fault'})")
        return None

    def strike(self, deployment, trigger) -> dict:
        # struck, like every broker fault, once the workers have reserved all they will (chaos/runner.py):
        # what the squeeze finds in the queue (and may evict) is then the same every run
        return {"pressure": deployment.broker_memory().squeeze(self.policy)}

    def heal(self, deployment) -> dict:
        return {"relieved": deployment.broker_memory().relieve()}


MEMORY_FAULTS = tuple(MemoryPressure(policy) for policy in eviction_policies())
