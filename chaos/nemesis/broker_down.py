"""Redis unreachable for a window: the proxy is disabled (its listener closes, open connections are
cut, new ones refused), then enabled again."""

from chaos.nemesis.network import ToxicFault


class RedisDown(ToxicFault):
    name = "redis-down"
    description = "every Redis connection cut and refused for the window (Toxiproxy proxy disabled)"

    def strike(self, deployment, trigger) -> dict:
        deployment.toxiproxy.client.disable(deployment.toxiproxy.proxy)
        return {"proxy": deployment.toxiproxy.proxy, "action": "disabled", "flavour": deployment.toxiproxy.flavour}

    def heal(self, deployment) -> dict:
        deployment.toxiproxy.client.enable(deployment.toxiproxy.proxy)
        return {"proxy": deployment.toxiproxy.proxy, "action": "enabled"}
