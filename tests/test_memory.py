"""Memory pressure on a real redis-server (chaos/infra/memory.py): each eviction policy shows what it
does, by construction — noeviction refuses writes, allkeys-lru evicts every key from before (the
queue included), volatile-lru only keys with a TTL — the server stays at its limit for small writes
too until relieved, and the relief restores the limit and policy it found."""

import pytest
import redis as redis_py

from chaos.brokers import broker_kind, eviction_policies
from chaos.infra import get_driver
from chaos.infra.memory import FILLER_PREFIX, RedisMemory
from chaos.infra.ports import free_port
from chaos.landing import missed
from chaos.nemesis import FAULTS
from chaos.profile import get_profile


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    server = get_driver("process").redis(name="redis", port=port, durability="none", workdir=tmp_path / "data",
                                         log_path=tmp_path / "redis.log")
    server.start()
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.kill()


def _queue(client):
    client.lpush("queue", *[f"task-{i}" for i in range(5)])
    client.set("result-1", "done", ex=600)  # a result with a TTL, like a backend's


def test_noeviction_refuses_every_write_until_relieved(redis_url):
    client = redis_py.Redis.from_url(redis_url)
    _queue(client)
    memory = RedisMemory(redis_url)
    squeezed = memory.squeeze("noeviction")
    assert squeezed["stopped_by"] == "refused" and squeezed["landed"] and squeezed["evicted_keys"] == 0
    assert "maxmemory" in squeezed["error"] and squeezed["survived"] == squeezed["keys_before"] == 2
    with pytest.raises(redis_py.exceptions.ResponseError, match="maxmemory"):
        client.lpush("queue", "x")  # however small: the limit is held below what the server uses
    relieved = memory.relieve()
    assert relieved["filler_deleted"] == squeezed["filler_written"] and relieved["restored"]["maxmemory"] == "0"
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    assert client.config_get("maxmemory")["maxmemory"] == "0" and not list(client.scan_iter(f"{FILLER_PREFIX}*"))
    assert client.lpush("queue", "x") == 6  # the queue survived whole


def test_allkeys_lru_evicts_the_queue_and_volatile_lru_only_what_expires(redis_url):
    client = redis_py.Redis.from_url(redis_url)
    _queue(client)
    memory = RedisMemory(redis_url)
    squeezed = memory.squeeze("volatile-lru")
    assert squeezed["stopped_by"] == "evicted-all" and squeezed["evictable_before"] == 1
    assert squeezed["gone_from_before"] == ["result-1"] and squeezed["survivors"] == ["queue"]
    client.lpush("queue", "x")  # a write at the limit evicts filler, it is not refused
    memory.relieve()
    assert client.llen("queue") == 6
    memory = RedisMemory(redis_url)
    squeezed = memory.squeeze("allkeys-lru")
    assert squeezed["stopped_by"] == "evicted-all" and squeezed["survived"] == 0 and "queue" in squeezed["gone_from_before"]
    relieved = memory.relieve()
    assert relieved["restored"]["maxmemory-policy"] == "noeviction" and client.llen("queue") == 0  # lost, silently


def test_the_policies_are_broker_data_and_a_fault_each():
    assert eviction_policies() == ("noeviction", "allkeys-lru", "volatile-lru")
    assert broker_kind("redis").memory_class() is RedisMemory and broker_kind("rabbitmq").memory_class() is None
    fault = FAULTS["memory-allkeys-lru"]
    assert fault.window_s and fault.role == "broker" and fault.not_applicable(get_profile("rq-default")) is None
    assert "no eviction policy" in fault.not_applicable(get_profile("celery-rabbitmq"))
    assert "uses no broker" in fault.not_applicable(get_profile("bgtasks"))


def test_a_squeeze_that_never_reached_the_limit_proves_nothing():
    struck = {"pressure": {"landed": False, "stopped_by": "deadline", "filler_written": 3}}
    assert "never reached its memory limit" in missed([{"name": "memory-noeviction", "struck": struck}])
    assert missed([{"name": "memory-noeviction", "struck": {"pressure": {"landed": True}}}]) is None
