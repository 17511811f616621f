"""The fault interface: ``strike`` a deployment, then ``heal`` it; both return evidence for the history."""

from __future__ import annotations

import abc

from chaos.infra.deployment import Deployment
from chaos.records.ledger import LedgerRecord


class Fault(abc.ABC):
    name: str
    description: str
    role: str  # the server it hurts: "executor" (worker, or app for BackgroundTasks) or "redis"

    def not_applicable(self, deployment: Deployment) -> str | None:
        """Why this fault means nothing for this deployment (None: it applies)."""
        if self.role == "redis" and "redis" not in deployment.servers:
            return f"{deployment.profile.name} uses no Redis"
        return None

    @abc.abstractmethod
    def strike(self, deployment: Deployment, trigger: LedgerRecord) -> dict: ...

    @abc.abstractmethod
    def heal(self, deployment: Deployment) -> dict: ...
