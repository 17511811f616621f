"""kill -9 of the process that executes tasks, with everything it forked (the Celery worker and its
prefork children, the RQ worker and its horse, or the app for BackgroundTasks); healed by a start."""

from chaos.nemesis.base import Fault


class KillWorker(Fault):
    name = "kill-worker"
    description = "SIGKILL the worker (the app for BackgroundTasks) while a task runs, then start it"
    role = "executor"

    def strike(self, deployment, trigger) -> dict:
        server = deployment.executor
        pid = server.describe()["pid"]
        server.kill()
        return {"server": server.name, "signal": "SIGKILL", "pid": pid, "driver": server.describe()["driver"]}

    def heal(self, deployment) -> dict:
        server = deployment.executor
        server.start()
        return {"server": server.name, "action": "start", "pid": server.describe()["pid"]}
