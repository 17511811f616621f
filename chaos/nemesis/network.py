"""What every network fault shares: it hurts the Toxiproxy proxy in front of the broker — the only
way any target, worker or result backend reaches it — for a window, then heals by undoing exactly
what it did. Subclasses say which toxic (or "down") and its attributes, with units in the names."""

from __future__ import annotations

from chaos.nemesis.base import Fault

WINDOW_S = 3.0


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
