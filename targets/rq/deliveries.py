"""What RQ could still hand out: the drain's "no redelivery is still possible" probe
(``capabilities.pending_deliveries`` in backend.toml; chaos/quiesce.py asks it).

A job that may still run, now or later, is always in one of RQ's structures in Redis (RQ 3.0): a
queue's list (``rq:queue:<name>``), its intermediate list (``rq:queue:<name>:intermediate``: popped by
a worker, not yet in the started registry; maintenance puts it back), or one of the sorted sets
``rq:wip:<name>`` (StartedJobRegistry: running, or abandoned by a dead worker until maintenance
re-enqueues or fails it), ``rq:scheduled:<name>`` (a countdown, or a retry due later),
``rq:deferred:<name>`` and ``rq:ready:<name>`` (dependencies). The count is of all of them, for
every queue name, so that it holds for a team's own queues too. Finished, failed and cancelled
jobs are in none of these: nothing will run them again.
"""

from __future__ import annotations

import redis

DB = 0  # targets/rq/app.py: the jobs live in db 0
REGISTRIES = ("rq:wip:*", "rq:scheduled:*", "rq:deferred:*", "rq:ready:*")


def pending(kind: str, url: str) -> int | None:
    """Jobs that RQ at ``url`` (Redis, reached directly, not through the proxy) could still run;
    ``None`` when Redis does not answer yet (coming back after a fault: cannot tell)."""
    if kind != "redis":
        return None
    client = redis.Redis.from_url(f"{url}/{DB}", socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        queued = sum(client.llen(key) for key in client.scan_iter(match="rq:queue:*", count=1000, _type="list"))
        registered = sum(client.zcard(key) for pattern in REGISTRIES
                         for key in client.scan_iter(match=pattern, count=1000, _type="zset"))
        return int(queued + registered)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return None
    finally:
        client.close()


__all__ = ["pending"]
