"""Graceful restart of the broker (SIGTERM; Redis saves an RDB snapshot first when the mode has save
points, and flushes the AOF), then start it on the same port and data directory. Formerly
``restart-redis`` (chaos/renames.py)."""

from chaos.nemesis.base import Fault, start_broker


class RestartBroker(Fault):
    name = "restart-broker"
    description = "stop the broker gracefully (SIGTERM) while a task runs and others wait, then start it"
    role = "broker"

    def strike(self, deployment, trigger) -> dict:
        broker = deployment.broker
        where = broker.describe()
        broker.stop()
        return {"server": broker.name, "signal": "SIGTERM", "pid": where["pid"],
                "persistence": deployment.profile.persistence, "driver": where["driver"],
                "container": where.get("container")}

    def heal(self, deployment) -> dict:
        return start_broker(deployment)
