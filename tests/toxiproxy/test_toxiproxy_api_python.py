"""Every endpoint toxiproxy-python 0.1.1 reaches, used as its README shows (global
``APIConsumer`` address, ``Toxiproxy``/``Proxy`` objects), against the server under test."""

from __future__ import annotations

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import NotFound, ProxyExists
from toxiproxy_testkit import PREFIX, connect, ping


@pytest.fixture
def tp(toxiproxy, proxies):
    """toxiproxy-python pointed at the server under test (it only has a process-wide address)."""
    saved = (APIConsumer.host, APIConsumer.port)
    server = Toxiproxy()
    server.update_api_consumer(toxiproxy.host, toxiproxy.port)
    yield server
    APIConsumer.host, APIConsumer.port = saved


def test_version_and_running(tp):
    assert tp.running() is True
    assert b'"version"' in tp.version()


def test_create_list_get_destroy(tp, proxies, redis_upstream):
    name = proxies.name("py")
    proxy = tp.create(upstream=redis_upstream.address, name=name)
    assert proxy.name == name and proxy.enabled is True and not proxy.listen.endswith(":0")
    assert name in tp.proxies()
    assert tp.get_proxy(name).upstream == redis_upstream.address
    with pytest.raises(ProxyExists):
        tp.create(upstream=redis_upstream.address, name=name)
    with connect(proxy.listen) as sock:
        assert ping(sock).data == b"+PONG\r\n"
    assert tp.destroy(proxy) is True
    assert tp.get_proxy(name) is None


def test_toxics_through_proxy_objects(tp, proxies, redis_upstream):
    proxy = tp.create(upstream=redis_upstream.address, name=proxies.name("py"))
    proxy.add_toxic(type="latency", attributes={"latency": 150})
    proxy.add_toxic(type="bandwidth", stream="upstream", name="bw", toxicity=0.5, attributes={"rate": 1000})
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "bw"}
    assert toxics["bw"].stream == "upstream" and toxics["bw"].toxicity == 0.5
    assert proxy.get_toxic("latency_downstream").attributes == {"latency": 150, "jitter": 0}
    with connect(proxy.listen) as sock:
        assert ping(sock).elapsed_s >= 0.15
    assert proxy.destroy_toxic("latency_downstream") is True
    assert proxy.get_toxic("latency_downstream") is None
    with pytest.raises(NotFound):
        proxy.destroy_toxic("latency_downstream")


def test_disable_enable_and_down(tp, proxies, redis_upstream):
    proxy = tp.create(upstream=redis_upstream.address, name=proxies.name("py"))
    proxy.disable()
    assert tp.get_proxy(proxy.name).enabled is False
    with pytest.raises(ConnectionRefusedError):
        connect(proxy.listen, timeout_s=2).close()
    proxy.enable()
    with connect(proxy.listen) as sock:
        assert ping(sock).data == b"+PONG\r\n"
    with proxy.down():
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.listen, timeout_s=2).close()
    assert tp.get_proxy(proxy.name).enabled is True


def test_reset(tp, proxies, redis_upstream):
    proxy = tp.create(upstream=redis_upstream.address, name=proxies.name("py"))
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert tp.reset() is True
    assert tp.get_proxy(proxy.name).enabled is True and proxy.toxics() == {}


def test_client_side_populate(tp, proxies, redis_upstream):
    names = [proxies.name("pop"), proxies.name("pop")]
    made = tp.populate([{"name": n, "upstream": redis_upstream.address, "listen": "127.0.0.1:0"} for n in names])
    assert sorted(p.name for p in made) == sorted(names)


def test_destroy_all(tp, toxiproxy, proxies, redis_upstream):
    if toxiproxy.flavour != "embedded":
        pytest.skip("destroy_all deletes every proxy of a shared server")
    for _ in range(2):
        tp.create(upstream=redis_upstream.address, name=proxies.name("all"))
    tp.destroy_all()
    assert [n for n in tp.proxies() if n.startswith(PREFIX)] == []
