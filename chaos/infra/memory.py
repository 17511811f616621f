"""Memory pressure on a broker: what a memory-pressure fault (chaos/nemesis/memory_pressure.py) does to
the server, per broker kind. A kind names its class in chaos/brokers.toml (``memory``, module:Class,
given the server's direct url) with the eviction policies it can be run under (``eviction_policies``);
a kind without one has no such fault.

:class:`RedisMemory` — a Redis that shares its memory with other users (a cache beside the queue, the
usual reason a production Redis reaches ``maxmemory``):

- ``squeeze(policy)``: ``CONFIG SET maxmemory-policy <policy>`` and ``maxmemory`` = what it uses now +
  ``HEADROOM_BYTES``, then writes unrelated keys (``taskchaos-filler:<n>``, 64 KiB each, with a TTL like a
  cache's entries, so ``volatile-*`` policies have keys to evict) until the policy has shown what it
  does, by construction rather than after a count picked in advance:
  ``refused`` — a write was answered ``OOM command not allowed`` (noeviction: the server refuses every
  write that needs memory); ``evicted-all`` — the limit was reached and every key from before the
  squeeze that the policy may evict (``allkeys-*``: every key — the queues, the task records, the
  backend's own bookkeeping; ``volatile-*``: those with a TTL) is gone; ``cap`` — ``CAP_LIMITS`` times
  the limit written while evictions ran, and some of those keys are still there (keys read again and
  again stay recent for an LRU; the evidence names them). The server stays at its limit until
  ``relieve``: the limit is then set ``BELOW_BYTES`` under what it uses, so every write a client makes
  meanwhile, however small, meets the policy too (refused, or evicting first).
- ``relieve()``: deletes the filler and restores the limit and the policy it found.

The evidence says which keys from before are gone (evicted, or deleted by their users meanwhile) and
how many keys the server evicted (``INFO stats`` ``evicted_keys``). ``landed`` is False only when the
limit was never reached (no eviction and no refusal): the cell is then inconclusive (chaos/landing.py).
"""

from __future__ import annotations

import time

import redis

FILLER_PREFIX = "taskchaos-filler:"
FILLER_BYTES = 64 * 1024
FILLER_TTL_S = 3600
HEADROOM_BYTES = 2 * 1024 * 1024
BELOW_BYTES = 256 * 1024  # once the policy has shown itself, the limit is held this far below what the server uses
CAP_LIMITS = 16  # filler written, as multiples of the limit, after which the squeeze stops with what survived
DEADLINE_S = 20.0  # a Redis writes 64 KiB in well under a millisecond; 20 s means it is not answering
SHOWN_KEYS = 20  # survivors and evictions named in the evidence, at most


class RedisMemory:
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self.found: dict | None = None  # maxmemory and policy before the squeeze
        self.before: set[bytes] = set()
        self.evicted_before = 0

    def _keys(self) -> set[bytes]:
        return {k for k in self.client.scan_iter(count=1000) if not k.startswith(FILLER_PREFIX.encode())}

    def _evicted(self) -> int:
        return int(self.client.info("stats").get("evicted_keys", 0))

    def squeeze(self, policy: str) -> dict:
        config = self.client.config_get("maxmemory*")
        self.found = {"maxmemory": config.get("maxmemory", "0"), "maxmemory-policy": config.get("maxmemory-policy")}
        self.before = self._keys()
        evictable = self.before if policy.startswith("allkeys-") else {k for k in self.before if self.client.pttl(k) > 0}
        self.evicted_before = evicted_before = self._evicted()
        used = int(self.client.info("memory")["used_memory"])
        limit = used + HEADROOM_BYTES
        self.client.config_set("maxmemory-policy", policy)
        self.client.config_set("maxmemory", str(limit))
        value = b"x" * FILLER_BYTES
        written, stopped_by, error = 0, None, None
        start = time.monotonic()
        while stopped_by is None:
            try:
                self.client.set(f"{FILLER_PREFIX}{written}", value, ex=FILLER_TTL_S)
                written += 1
            except redis.exceptions.ResponseError as exc:  # OOM command not allowed when used memory > 'maxmemory'
                stopped_by, error = "refused", str(exc)
                break
            if written % 16 == 0:
                evictions = self._evicted() - evicted_before
                if evictions and not (evictable & self._keys()):
                    stopped_by = "evicted-all"
                elif evictions and written * FILLER_BYTES >= CAP_LIMITS * limit:
                    stopped_by = "cap"
                elif time.monotonic() - start > DEADLINE_S:
                    stopped_by = "deadline"
        # Held at the limit for every write, small ones too: the limit is set below what the server now
        # uses. Left where it was, the freed buffer of the refused 64 KiB write (or of the last eviction)
        # leaves room for a few small writes, and whether a submission meets the policy becomes timing.
        used_now = int(self.client.info("memory")["used_memory"])
        held_at = max(used_now - BELOW_BYTES, 1)
        self.client.config_set("maxmemory", str(held_at))
        evictions = self._evicted() - evicted_before
        survivors = self.before & self._keys()
        return {"policy": policy, "maxmemory": limit, "held_at": held_at, "used_before": used, "filler_written": written,
                "filler_bytes": written * FILLER_BYTES, "stopped_by": stopped_by, "error": error,
                "evicted_keys": evictions, "keys_before": len(self.before), "evictable_before": len(evictable),
                "survived": len(survivors), "survivors": _names(survivors),
                "gone_from_before": _names(self.before - survivors),
                "filled_in_s": round(time.monotonic() - start, 3),
                "landed": bool(evictions) or stopped_by == "refused"}

    def relieve(self) -> dict:
        evicted = self._evicted()
        deleted = 0
        for batch in _batches(self.client.scan_iter(match=f"{FILLER_PREFIX}*", count=1000), 500):
            deleted += self.client.unlink(*batch)
        if self.found:
            self.client.config_set("maxmemory", self.found["maxmemory"])
            self.client.config_set("maxmemory-policy", self.found["maxmemory-policy"])
        survivors = self.before & self._keys()
        self.client.close()
        return {"filler_deleted": deleted, "restored": self.found, "evicted_keys": evicted - self.evicted_before,
                "survived_of_before": len(survivors)}


def _names(keys: set[bytes]) -> list[str]:
    return sorted(k.decode("utf-8", "replace") for k in keys)[:SHOWN_KEYS]


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
