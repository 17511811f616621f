"""Whether the broker has received every task its clients were told it accepted: what a broker fault
waits for before it strikes, so that what the fault destroys is the broker's doing (its durability
mode, its recovery), not a publish still on its way to it.

A broker kind names its receipts in chaos/brokers.toml (``receipts``, a class). A kind without them
answers a client's write only once it has it (Redis: LPUSH replies after the command ran), so an
acknowledged task is never on its way, and nothing is waited for.

RabbitMQ: a publish without confirms is answered by no one; the app's 202 means the bytes were handed
to its socket, and behind that are Toxiproxy and the node's reader. A graceful restart struck 0 ms
after a 202 lost that task on a durable queue (persistence/restart-broker/celery-rabbitmq-acks-late
@durable, default run of 2026-12-02), which is what kill-broker shows by construction, not what a
restart of a durable queue does. So every node runs RabbitMQ's firehose (``trace_vhosts`` in its
advanced.config, chaos/infra/rabbitmq.py): a channel that routes a published message also publishes
a copy of it, with the original headers and ``routed_queues``, to ``amq.rabbitmq.trace`` (routing key
``publish.<exchange>``), in the same step. :class:`RabbitMQReceipts` binds a durable queue of its own
to it before any client publishes and reads what arrived there; a task is received once a copy
carries its id among its headers' values (any backend puts its task id in a header: Celery's protocol 2
``id``). The queue is durable, so it is still bound after the node restarts, and the ids seen are kept
in memory: a run with several broker faults misses no receipt. Its own connection goes to the node
directly, never through the proxy, so faults never hurt it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from chaos.infra.polling import poll_until

RECEIPTS_QUEUE = "taskchaos.receipts"
TRACE_EXCHANGE = "amq.rabbitmq.trace"
PUBLISHED = "publish.#"  # the firehose's copies of publishes (deliveries are "deliver.<queue>")
POLL_S = 0.02


def _strings(value) -> set[str]:
    """Every string in a header value (tables and arrays included)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, bytes):
        return {value.decode("utf-8", "replace")}
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*map(_strings, value))
    return set()


class RabbitMQReceipts:
    """The firehose's copies of what the node at ``url`` (reached directly) has routed."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5672
        self.user, self.password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
        self.seen: set[str] = set()  # every string a copy's original headers carried
        self.copies = 0
        self._connection = None
        self._channel = None

    def open(self) -> None:
        """Bind the receipts queue (before any client publishes: what was routed earlier has no copy)."""
        channel = self._open_channel()
        channel.queue_declare(RECEIPTS_QUEUE, durable=True, auto_delete=False)
        channel.queue_bind(RECEIPTS_QUEUE, TRACE_EXCHANGE, PUBLISHED)

    def _open_channel(self):
        import amqp  # py-amqp, kombu's transport

        if self._channel is None:
            self._connection = amqp.Connection(f"{self.host}:{self.port}", userid=self.user, password=self.password,
                                               connect_timeout=2, read_timeout=2, write_timeout=2)
            self._connection.connect()
            self._channel = self._connection.channel()
        return self._channel

    def _read(self) -> None:
        """Take every copy waiting in the receipts queue (ours: taking them changes nothing of the run's)."""
        channel = self._open_channel()
        while True:
            message = channel.basic_get(RECEIPTS_QUEUE, no_ack=True)
            if message is None:
                return
            self.copies += 1
            properties = (message.headers or {}).get("properties") or {}
            self.seen |= _strings(properties.get("headers") or {})

    def wait(self, ids: list[str], deadline_s: float) -> dict:
        """Wait until a copy carries each of ``ids``: the evidence (``received`` False: some never came,
        or the node could not be asked; the cell is then inconclusive)."""
        return poll_until(lambda: self._answer(ids), "received", deadline_s, POLL_S)

    def _answer(self, ids: list[str]) -> dict:
        import amqp

        error = None
        try:
            self._read()
        except (OSError, amqp.exceptions.AMQPError) as exc:  # the node restarting: ask again
            self.close()
            error = f"{type(exc).__name__}: {exc}"
        missing = sorted(set(ids) - self.seen)
        answer = {"received": not missing, "ids": len(ids), "missing": missing, "copies": self.copies}
        return {**answer, "error": error} if error else answer

    def close(self) -> None:
        import amqp

        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except (OSError, amqp.exceptions.AMQPError):  # already cut: release the socket
                connection.collect()


__all__ = ["RECEIPTS_QUEUE", "RabbitMQReceipts", "TRACE_EXCHANGE"]
