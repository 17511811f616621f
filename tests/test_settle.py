"""The probe a broker kill waits for (chaos/infra/settle.py), on a real redis-server: settled once
what it acknowledged is in its files; not while a snapshot child runs, whose output could bring back
what the mode would lose; and a broker that never settles is reported, never killed as if it had."""

import redis as redis_py

from chaos.brokers import broker_kind
from chaos.infra import get_driver
from chaos.infra.ports import free_port
from chaos.infra.settle import redis_written, wait_settled
from chaos.landing import missed


def _redis(tmp_path, durability):
    port = free_port()
    server = get_driver("process").redis(name="redis", port=port, durability=durability, workdir=tmp_path / "data",
                                         log_path=tmp_path / "redis.log")
    server.start()
    return server, f"redis://127.0.0.1:{port}"


def test_an_aof_broker_is_settled_once_its_buffer_is_written(tmp_path):
    server, url = _redis(tmp_path, "aof-everysec")
    try:
        client = redis_py.Redis.from_url(url)
        client.lpush("queue", *range(100))
        answer = redis_written(url)
        assert answer["settled"] and answer["aof_enabled"] == 1 and answer["aof_buffer_length"] == 0
        assert broker_kind("redis").settle_probe() is redis_written
    finally:
        server.kill()


def test_a_running_snapshot_is_not_settled_and_the_wait_reports_it(tmp_path):
    server, url = _redis(tmp_path, "rdb")
    try:
        client = redis_py.Redis.from_url(url)
        client.mset({f"k{i}": i for i in range(50)})
        client.config_set("rdb-key-save-delay", 200_000)  # µs per key: the snapshot child runs for 10 s
        client.bgsave()
        answer = wait_settled(redis_written, url, deadline_s=0.5)
        assert answer["settled"] is False and answer["rdb_bgsave_in_progress"] == 1
        assert answer["polls"] > 1 and answer["waited_s"] >= 0.5
        why = missed([{"name": "kill-broker", "struck": {"settle": answer}}])
        assert "never said it had written what it acknowledged" in why
        assert answer["aof_enabled"] == 0  # without AOF there is no buffer to wait for
    finally:
        server.kill()


def test_a_kind_without_a_probe_is_not_waited_for():
    assert broker_kind("rabbitmq").settle_probe() is None
