"""kill -9 of Redis (no shutdown save, no final AOF flush), then start it on the same data."""

from chaos.nemesis.base import Fault


class KillRedis(Fault):
    name = "kill-redis"
    description = "SIGKILL Redis while a task runs and others wait, then start it"
    role = "redis"

    def strike(self, deployment, trigger) -> dict:
        redis = deployment.server("redis")
        where = redis.describe()
        pid = where["pid"]
        redis.kill()
        return {"server": "redis", "signal": "SIGKILL", "pid": pid, "persistence": deployment.profile.persistence,
                "driver": where["driver"], "container": where.get("container")}

    def heal(self, deployment) -> dict:
        redis = deployment.server("redis")
        redis.start()
        where = redis.describe()
        return {"server": "redis", "action": "start", "pid": where["pid"], "driver": where["driver"],
                "container": where.get("container")}
