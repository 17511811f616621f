"""What kill-broker and restart-broker share: take the broker down one way (``_take_down``, with the
signal it sends), then start it again on the same port and data; both return the same evidence."""

from __future__ import annotations

import abc

from chaos.infra.base import Server
from chaos.nemesis.base import Fault


class BrokerBounce(Fault):
    role = "broker"
    signal: str  # what taking it down sends, for the evidence

    @abc.abstractmethod
    def _take_down(self, broker: Server) -> None: ...

    def strike(self, deployment, trigger) -> dict:
        broker = deployment.broker
        where = broker.describe()
        self._take_down(broker)
        return {"server": broker.name, "signal": self.signal, "pid": where["pid"],
                "persistence": deployment.profile.persistence, "driver": where["driver"],
                "container": where.get("container")}

    def heal(self, deployment) -> dict:
        broker = deployment.broker
        broker.start()
        where = broker.describe()
        return {"server": broker.name, "action": "start", "pid": where["pid"], "driver": where["driver"],
                "container": where.get("container")}
