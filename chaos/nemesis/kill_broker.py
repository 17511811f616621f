"""kill -9 of the broker, whatever its kind (Redis: no shutdown save, no final AOF flush), then start
it on the same data. Formerly ``kill-redis`` (chaos/renames.py)."""

from chaos.nemesis.base import Fault


class KillBroker(Fault):
    name = "kill-broker"
    description = "SIGKILL the broker while a task runs and others wait, then start it"
    role = "broker"

    def strike(self, deployment, trigger) -> dict:
        broker = deployment.broker
        where = broker.describe()
        pid = where["pid"]
        broker.kill()
        return {"server": broker.name, "signal": "SIGKILL", "pid": pid, "persistence": deployment.profile.persistence,
                "driver": where["driver"], "container": where.get("container")}

    def heal(self, deployment) -> dict:
        broker = deployment.broker
        broker.start()
        where = broker.describe()
        return {"server": broker.name, "action": "start", "pid": where["pid"], "driver": where["driver"],
                "container": where.get("container")}
