"""Whether a broker has put in its files everything it has acknowledged: the probe a kill of the broker
waits for, so that what the kill destroys is the durability mode's doing, not the moment it came.

A broker kind names its probe in chaos/brokers.toml (``settled``); one that has none (RabbitMQ: an
unconfirmed publish says nothing of the disk, a confirmed one was written before delay() returned)
is killed without waiting, which the fault's evidence says.

- ``redis_written(url)``: asked with INFO persistence. Redis appends each write to an in-memory AOF
  buffer and write()s it to the file before its next reply, *except* under ``appendfsync everysec``
  while a background fsync is still running: it then postpones the write for up to 2 s and answers
  meanwhile (``aof_delayed_fsync`` counts it), so an acknowledged write can sit in the buffer, which a
  SIGKILL loses. Settled: the buffer is empty (what was written is in the page cache, which a killed
  process does not lose), and no snapshot or rewrite child is running (its output could land after
  the kill and bring back what the mode would lose). Without AOF the buffer does not exist.
"""

from __future__ import annotations

import redis

from chaos.infra.polling import poll_until

POLL_S = 0.02


def redis_written(url: str) -> dict:
    """``settled`` and the INFO fields that decided it."""
    client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        info = client.info("persistence")
    finally:
        client.close()
    fields = {k: info.get(k) for k in ("aof_enabled", "aof_buffer_length", "aof_delayed_fsync", "aof_pending_bio_fsync",
                                       "rdb_bgsave_in_progress", "aof_rewrite_in_progress")}
    buffered = int(info.get("aof_buffer_length", 0)) if info.get("aof_enabled") else 0
    children = int(info.get("rdb_bgsave_in_progress", 0)) + int(info.get("aof_rewrite_in_progress", 0))
    return {"settled": buffered == 0 and children == 0, **fields}


def wait_settled(probe, url: str, deadline_s: float) -> dict:
    """Poll ``probe(url)`` until it says settled or ``deadline_s`` passes: the evidence of the last poll
    with ``waited_s`` and ``polls``. A broker that never settles is reported (``settled`` False), for
    the cell to call its run inconclusive, never killed as if it had."""
    return poll_until(lambda: probe(url), "settled", deadline_s, POLL_S)
