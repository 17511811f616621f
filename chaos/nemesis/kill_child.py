"""kill -9 of the one process running the held task's body (the pid it wrote to the ledger): a
Celery prefork child or an RQ work horse, leaving its parent alive. For BackgroundTasks the body runs
in the app process itself, so that is what dies. Healed by starting whatever is no longer running."""

from chaos.nemesis.base import Fault


class KillChild(Fault):
    name = "kill-child"
    description = "SIGKILL the process executing the task body (prefork child / work horse), not its parent"
    role = "executor"

    def strike(self, deployment, trigger) -> dict:
        server = deployment.executor
        server.kill_descendant(trigger.pid)
        return {"server": server.name, "signal": "SIGKILL", "pid": trigger.pid,
                "parent_pid": server.describe()["pid"], "driver": server.describe()["driver"]}

    def heal(self, deployment) -> dict:
        # The parent normally survives and replaces its child; the app (BackgroundTasks) does not.
        server = deployment.executor
        if server.is_alive():
            return {"server": server.name, "action": "none: still running"}
        server.kill()  # reap the dead group before starting again
        server.start()
        return {"server": server.name, "action": "start", "pid": server.describe()["pid"]}
