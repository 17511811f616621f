"""Graceful restart of Redis (SIGTERM: it saves an RDB snapshot first when the mode has save points,
and flushes the AOF), then start it on the same port and data directory."""

from chaos.nemesis.base import Fault


class RestartRedis(Fault):
    name = "restart-redis"
    description = "stop Redis gracefully (SIGTERM) while a task runs and others wait, then start it"
    role = "redis"

    def strike(self, deployment, trigger) -> dict:
        redis = deployment.server("redis")
        where = redis.describe()
        pid = where["pid"]
        redis.stop()
        return {"server": "redis", "signal": "SIGTERM", "pid": pid, "persistence": deployment.profile.persistence,
                "driver": where["driver"], "container": where.get("container")}

    def heal(self, deployment) -> dict:
        redis = deployment.server("redis")
        redis.start()
        where = redis.describe()
        return {"server": "redis", "action": "start", "pid": where["pid"], "driver": where["driver"],
                "container": where.get("container")}
