"""kill -9 of Redis (no shutdown save, no final AOF flush), then start it on the same data."""

from chaos.nemesis.base import Fault


class KillRedis(Fault):
    name = "kill-redis"
    description = "SIGKILL Redis while a task runs and others wait, then start it"
    role = "redis"

    def strike(self, deployment, trigger) -> dict:
        redis = deployment.server("redis")
        pid = redis.describe()["pid"]
        redis.kill()
        return {"server": "redis", "signal": "SIGKILL", "pid": pid, "persistence": deployment.profile.persistence}

    def heal(self, deployment) -> dict:
        redis = deployment.server("redis")
        redis.start()
        return {"server": "redis", "action": "start", "pid": redis.describe()["pid"]}
