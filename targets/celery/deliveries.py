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
"""

from __future__ import annotations

import redis

BROKER_DB = 0  # targets/celery/tasks.py: broker at db 0, results at db 1
UNACKED = "unacked"


def pending(kind: str, url: str) -> int | None:
    """Messages that Celery's broker at ``url`` (a broker of ``kind``, reached directly, not through
    the proxy) could still deliver; ``None`` when this kind does not let us see them, or the broker does
    not answer yet."""
    if kind != "redis":
        return None
    client = redis.Redis.from_url(f"{url}/{BROKER_DB}", socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        count = client.hlen(UNACKED)
        for key in client.scan_iter(count=1000):
            if client.type(key) == b"list":
                count += client.llen(key)
        return int(count)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):  # still coming back after a fault: cannot tell yet
        return None
    finally:
        client.close()
