"""Graceful restart of the broker (SIGTERM; Redis saves an RDB snapshot first when the mode has save
points, and flushes the AOF), then start it on the same port and data directory. Formerly
``restart-redis`` (chaos/renames.py)."""

from chaos.nemesis.broker_bounce import BrokerBounce


class RestartBroker(BrokerBounce):
    name = "restart-broker"
    description = "stop the broker gracefully (SIGTERM) while a task runs and others wait, then start it"
    signal = "SIGTERM"

    def _take_down(self, broker) -> None:
        broker.stop()
