"""kill -9 of the broker, whatever its kind, then start it on the same data. Formerly ``kill-redis``
(chaos/renames.py).

Built so that neither what the broker had written nor what was still on the wire is left to timing
(a plain kill right after the last submission raced the broker's own write: see expectations.toml,
[persistence.kill-broker]):

1. strike, once its trigger is seen and before the last task's submission (phase ``last-submit``):
   wait until the broker says it has put in its files everything it has acknowledged (its kind's
   ``settled`` probe, chaos/infra/settle.py; a kind without one is not waited for), then freeze it
   (SIGSTOP; ``docker pause`` under the docker driver);
2. the client makes the last submission to the frozen broker: a client that waits for the broker's
   answer (a Redis command, a publish with confirms) gets none and the task is indeterminate; one
   that does not wait (a publish without confirms) is told the task was accepted while its message
   sits in a socket buffer;
3. heal, once that submission is answered: SIGKILL the frozen broker (it runs no more instruction
   in between) and start it on the same data.

So the cell shows what each durability mode keeps of what the broker had written, and what an
acknowledgement that never reached the broker is worth.
"""

from __future__ import annotations

from chaos.nemesis.base import Fault, start_broker


class KillBroker(Fault):
    name = "kill-broker"
    description = ("freeze the broker once it has written what it acknowledged, submit the last task to it, "
                   "then SIGKILL it and start it")
    role = "broker"
    strikes_at = "last-submit"

    def strike(self, deployment, trigger) -> dict:
        broker = deployment.broker
        settle = deployment.settle_broker()
        where = broker.describe()
        evidence = {"server": broker.name, "pid": where["pid"], "persistence": deployment.profile.persistence,
                    "driver": where["driver"], "container": where.get("container"), "settle": settle}
        if settle["settled"] is False:  # never frozen nor killed as if it had written: the cell is inconclusive
            return {**evidence, "frozen": False}
        broker.pause()
        return {**evidence, "frozen": True}

    def heal(self, deployment) -> dict:
        broker = deployment.broker
        killed = broker.describe()["pid"]
        broker.kill()
        return {**start_broker(deployment), "killed": {"pid": killed, "signal": "SIGKILL"}}
