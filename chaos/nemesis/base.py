"""The fault interface: ``strike`` a deployment, then ``heal`` it; both return evidence for the history."""

from __future__ import annotations

import abc

from chaos.infra.deployment import Deployment
from chaos.records.ledger import LedgerRecord


class Fault(abc.ABC):
    name: str
    description: str
    role: str  # what it hurts: "executor" (worker, or app for BackgroundTasks), "redis", "redis-network"
    window_s: float = 0.0  # how long the fault lasts before heal (0: strike and heal at once)

    def not_applicable(self, deployment: Deployment) -> str | None:
        """Why this fault means nothing for this deployment (None: it applies)."""
        if self.role == "redis" and "redis" not in deployment.servers:
            return f"{deployment.profile.name} uses no Redis"
        return None

    @abc.abstractmethod
    def strike(self, deployment: Deployment, trigger: LedgerRecord) -> dict: ...

    @abc.abstractmethod
    def heal(self, deployment: Deployment) -> dict: ...
