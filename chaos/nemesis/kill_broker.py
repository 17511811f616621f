"""kill -9 of the broker, whatever its kind (Redis: no shutdown save, no final AOF flush), then start
it on the same data. Formerly ``kill-redis`` (chaos/renames.py)."""

from chaos.nemesis.broker_bounce import BrokerBounce


class KillBroker(BrokerBounce):
    name = "kill-broker"
    description = "SIGKILL the broker while a task runs and others wait, then start it"
    signal = "SIGKILL"

    def _take_down(self, broker) -> None:
        broker.kill()
