"""The broker unreachable for a window: the proxy in front of it is disabled (its listener closes,
open connections are cut, new ones refused), then enabled again. Formerly ``redis-down``
(chaos/renames.py)."""

from chaos.nemesis.network import ToxicFault


class BrokerDown(ToxicFault):
    name = "broker-down"
    description = "every broker connection cut and refused for the window (Toxiproxy proxy disabled)"

    def strike(self, deployment, trigger) -> dict:
        deployment.toxiproxy.client.disable(deployment.toxiproxy.proxy)
        return {"proxy": deployment.toxiproxy.proxy, "action": "disabled", "flavour": deployment.toxiproxy.flavour}

    def heal(self, deployment) -> dict:
        deployment.toxiproxy.client.enable(deployment.toxiproxy.proxy)
        return {"proxy": deployment.toxiproxy.proxy, "action": "enabled"}
