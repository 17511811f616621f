"""kill -9 of the process that executes tasks, with everything it forked (the Celery worker and its
prefork children, the RQ worker and its horse, or the app for BackgroundTasks); healed by a start.
With several workers, the one killed is the one running the trigger task (by the pid its body wrote
to the ledger)."""

from chaos.nemesis.base import Fault, kill_server, start_dead_executors, struck_executor


class KillWorker(Fault):
    name = "kill-worker"
    description = "SIGKILL the worker running the trigger task (the app for BackgroundTasks), then start it"
    role = "executor"

    def strike(self, deployment, trigger) -> dict:
        return kill_server(struck_executor(deployment, trigger))

    def heal(self, deployment) -> dict:
        return start_dead_executors(deployment)
