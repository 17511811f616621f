"""kill -9 of the producer: the target app, once its backend has accepted a task and before the
client has its answer; healed by a start. The moment is built, not timed: the app holds its answer
after the hand-over (``hold_answer``) and says so in the ledger (``answer-held``), the fault strikes
then, and the runner (phase ``answer``) has the client submit the same task again once the app is
back, as a client that got no answer would. What the broker already holds runs, and so does the
resubmission: the duplicates a retrying client makes. Where the app runs task bodies itself after
its answer (BackgroundTasks), the first copy never starts."""

from chaos.nemesis.base import Fault, kill_server, start_server


class KillProducer(Fault):
    name = "kill-producer"
    description = ("SIGKILL the app after the backend accepted a task, before the client got its answer; "
                   "then start it, and the client submits the task again")
    role = "app"
    strikes_at = "answer"

    def strike(self, deployment, trigger) -> dict:
        return kill_server(deployment.server("app"))

    def heal(self, deployment) -> dict:
        return start_server(deployment.server("app"))
