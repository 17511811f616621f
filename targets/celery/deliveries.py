"""What Celery's broker could still hand out: the drain's "no redelivery is still possible" probe
(``capabilities.pending_deliveries`` in backend.toml; chaos/quiesce.py asks it).

On Redis, kombu keeps every message it has delivered and not yet acknowledged in the ``unacked``
hash (its delivery time in ``unacked_index``) until the ack; the restore sweep moves the ones older
than ``visibility_timeout`` back onto their queue, a list. So a message that may still run again is
always in one of those, but for the instant between a worker's BRPOP and its write to ``unacked``.
The count is of both: queued messages (lists: the queue and its priority steps) and unacked ones.
An ETA message the worker holds for its countdown is unacked too, so it counts until it has run.

On RabbitMQ a delivered message that is not acked is visible only through the management plugin,
which the suite does not run: ``None`` (cannot tell), and the drain keeps its recovery window.

``reservations_full``: whether the workers have taken from the broker all they will until a task
ends (``capabilities.reservations_full``; the network faults wait for it before they strike, see
chaos/nemesis/network.py). kombu's Redis transport issues BRPOP on a channel only while its QoS can
consume (virtual/base.py, ``QoS.can_consume``: delivered and not acked < prefetch_count, where Celery
sets prefetch_count = prefetch_multiplier x concurrency); with the window full the consumer's
connection sits idle. Until then a worker is still popping what the last submissions queued, some
milliseconds each: a fault struck meanwhile meets a consumer inside BRPOP instead (the race that made
persistence/limit-data-run hold once in CI, 2026-12-02). And a popped message is in neither list nor
hash until the worker's write to ``unacked`` (QoS.append, a MULTI after the BRPOP's reply) lands: a
broker killed in between comes back without it whatever its durability — the BRPOP's pop is in the
AOF, the write is not (seen once in a default run: persistence/kill-broker/celery-acks-late@aof-always
violated 1 of 5, 2026-12-04; shown by construction with kombu 5.7, SIGKILL of an aof-always Redis
inside QoS.append: queue 0, unacked 0 after the restart). So the probe also waits until every
acknowledged task that has not started (``waiting``) is queued or unacked. A running task's message
counts in the window until it is acked: at its start with the early ack (then it must have left
``unacked``: the ack may still be on its way when the body starts), at its end with acks_late.
"""

from __future__ import annotations

import json

import redis

BROKER_DB = 0  # targets/celery/tasks.py: broker at db 0, results at db 1
UNACKED = "unacked"


def pending(kind: str, url: str) -> int | None:
    """Messages that Celery's broker at ``url`` (a broker of ``kind``, reached directly, not through
    the proxy) could still deliver; ``None`` when this kind does not let us see them, or the broker does
    not answer yet."""
    if kind != "redis":
        return None
    client = _broker(url)
    try:
        return int(client.hlen(UNACKED) + _queued(client))
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):  # still coming back after a fault: cannot tell yet
        return None
    finally:
        client.close()


def reservations_full(kind: str, url: str, settings: dict, workers: int, running: list[str],
                      waiting: list[str] = ()) -> bool | None:
    """True once nothing queued is left for the ``workers`` (each with the profile's ``settings``) to
    pop before one of the ``running`` tasks (Celery task ids) ends — the queue is empty, or every
    window is full — and every one of the ``waiting`` tasks (acknowledged, not started) rests in the
    broker: queued, or in ``unacked``. ``None`` when this kind does not let us see it."""
    if kind != "redis":
        return None
    client = _broker(url)
    try:
        delivered = [_task_id(raw) for raw in client.hvals(UNACKED)]
        queued_ids = _queued_ids(client)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return None
    finally:
        client.close()
    if set(waiting) - set(delivered) - set(queued_ids):
        return False  # popped by a worker whose write to unacked has not landed yet (see the module docstring)
    if not queued_ids:
        return True
    held = [task_id for task_id in running if task_id in delivered]
    if not settings["acks_late"] and held:
        return False  # an early ack still on its way: its slot frees once it lands, and the worker pops again
    window = int(settings["prefetch_multiplier"]) * int(settings["concurrency"]) * workers
    return len(delivered) >= window


def _broker(url: str) -> redis.Redis:
    """A client of Celery's broker database, reached directly (not through the proxy)."""
    return redis.Redis.from_url(f"{url}/{BROKER_DB}", socket_timeout=2.0, socket_connect_timeout=2.0)


def _queued(client: redis.Redis) -> int:
    """Messages waiting in the broker's lists: the queue and its priority steps."""
    return sum(client.llen(key) for key in _lists(client))


def _queued_ids(client: redis.Redis) -> list[str | None]:
    """The task ids of the messages waiting in the broker's lists (each a kombu message, as JSON)."""
    return [_message_id(raw) for key in _lists(client) for raw in client.lrange(key, 0, -1)]


def _lists(client: redis.Redis) -> list[bytes]:
    return [key for key in client.scan_iter(count=1000) if client.type(key) == b"list"]


def _message_id(raw: bytes) -> str | None:
    try:
        return _headers_id(json.loads(raw))
    except ValueError:  # a list of the broker's that is not a queue of kombu messages
        return None


def _headers_id(message) -> str | None:
    """Celery's message protocol 2 carries the task id in the headers."""
    return (message.get("headers") or {}).get("id") if isinstance(message, dict) else None


def _task_id(raw: bytes) -> str | None:
    """The task id in one ``unacked`` entry: kombu stores [message, exchange, routing_key] as JSON,
    and Celery's message protocol 2 carries the id in the headers."""
    return _headers_id(json.loads(raw)[0])
