"""kill -9 of the one process running the held task's body (the pid it wrote to the ledger): a
Celery prefork child or an RQ work horse, leaving its parent alive. For BackgroundTasks the body runs
in the app process itself, so that is what dies. Healed by starting whatever is no longer running."""

from chaos.nemesis.base import Fault


class KillChild(Fault):
    name = "kill-child"
    description = "SIGKILL the process executing the task body (prefork child / work horse), not its parent"
    role = "executor"

    def strike(self, deployment, trigger) -> dict:
        server = deployment.executor_for(trigger.pid)
        server.kill_descendant(trigger.pid)
        return {"server": server.name, "signal": "SIGKILL", "pid": trigger.pid,
                "parent_pid": server.describe()["pid"], "driver": server.describe()["driver"]}

    def heal(self, deployment) -> dict:
        # The parent normally survives and replaces its child; the app (BackgroundTasks) does not.
        started = []
        for server in deployment.executors:
            if not server.is_alive():
                server.kill()  # reap the dead group before starting again
                server.start()
                started.append({"server": server.name, "pid": server.describe()["pid"]})
        return {"action": "start" if started else "none: still running", "started": started}
