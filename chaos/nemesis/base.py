"""The fault interface: ``strike`` a deployment, then ``heal`` it; both return evidence for the history."""

from __future__ import annotations

import abc

from chaos.infra.deployment import Deployment
from chaos.profile import Profile
from chaos.records.history import BROKER_ROLES
from chaos.records.ledger import LedgerRecord


class Fault(abc.ABC):
    name: str
    description: str
    role: str  # what it hurts: "executor" (the server running task bodies), "broker", "broker-network", ...
    window_s: float = 0.0  # how long the fault lasts before heal (0: strike and heal at once)
    # The phase a workload gives this fault whatever the cell's (chaos/scenario/model.py, e.g.
    # "last-submit": it needs the last submission made inside it); None: the cell's phase.
    strikes_at: str | None = None

    def not_applicable(self, profile: Profile) -> str | None:
        """Why this fault means nothing for this profile (None: it applies)."""
        if self.role in BROKER_ROLES and not profile.uses_broker:
            return f"{profile.name} uses no broker, so {self.name} cannot touch it"
        return None

    @abc.abstractmethod
    def strike(self, deployment: Deployment, trigger: LedgerRecord) -> dict: ...

    @abc.abstractmethod
    def heal(self, deployment: Deployment) -> dict: ...


def struck_executor(deployment: Deployment, trigger: LedgerRecord | None):
    """The executor an executor fault hits: the one whose process wrote the trigger record (with
    several workers, the one running the trigger task), else the deployment's executor."""
    return deployment.executor_for(trigger.pid) if trigger else deployment.executor


def kill_server(server) -> dict:
    """SIGKILL ``server`` with everything it forked: the strike's evidence."""
    pid = server.describe()["pid"]
    server.kill()
    return {"server": server.name, "signal": "SIGKILL", "pid": pid, "driver": server.describe()["driver"]}


def start_server(server) -> dict:
    """Start ``server`` again (same port, same data): the heal's evidence."""
    server.start()
    where = server.describe()
    return {"server": server.name, "action": "start", "pid": where["pid"], "driver": where["driver"],
            "container": where.get("container")}


def start_broker(deployment: Deployment) -> dict:
    """The heal of a fault that took the broker down: start it on the same port and data."""
    return start_server(deployment.broker)


def start_dead_executors(deployment: Deployment) -> dict:
    """The heal of a fault that took an executor down: start each one that is not running."""
    started = []
    for server in deployment.executors:
        if not server.is_alive():
            server.start()
            started.append({"server": server.name, "pid": server.describe()["pid"]})
    return {"action": "start", "started": started}
