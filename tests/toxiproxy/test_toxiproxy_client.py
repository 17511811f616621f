"""chaos.toxiproxy.client: the harness's client, against the server under test."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from toxiproxy_testkit import connect, free_port, ping

from chaos.toxiproxy.client import ToxiproxyApiError, ToxiproxyClient
from chaos.toxiproxy.process import start_embedded


@pytest.fixture
def client(toxiproxy, proxies):
    return ToxiproxyClient(toxiproxy.url, timeout_s=10)


def test_version_and_reset(client):
    assert client.version()
    client.reset()


def test_proxy_operations(client, proxies, redis_upstream):
    name = proxies.name("cli")
    proxy = client.create_proxy(name, redis_upstream.address)
    assert proxy.name == name and proxy.enabled and proxy.toxics == ()
    assert client.get_proxy(name) == proxy and client.proxies()[name] == proxy
    with connect(proxy.listen) as sock:
        assert ping(sock).data == b"+PONG\r\n"

    assert client.disable(name).enabled is False
    with pytest.raises(ConnectionRefusedError):
        connect(proxy.listen, timeout_s=2).close()
    assert client.enable(name).enabled is True
    with client.down(name):
        assert client.get_proxy(name).enabled is False
    assert client.get_proxy(name).enabled is True

    moved = client.update_proxy(name, listen=f"127.0.0.1:{free_port()}")
    with connect(moved.listen) as sock:
        assert ping(sock).data == b"+PONG\r\n"
    client.delete_proxy(name)
    with pytest.raises(ToxiproxyApiError) as error:
        client.get_proxy(name)
    assert error.value.status == 404 and error.value.message == "proxy not found"


def test_toxic_operations(client, proxies, redis_upstream):
    name = proxies.name("cli")
    proxy = client.create_proxy(name, redis_upstream.address)
    toxic = client.add_toxic(name, "latency", {"latency": 120}, toxicity=1.0)
    assert toxic.name == "latency_downstream" and toxic.attributes == {"latency": 120, "jitter": 0}
    with connect(proxy.listen) as sock:
        assert ping(sock).elapsed_s >= 0.12
        updated = client.update_toxic(name, toxic.name, {"jitter": 10}, toxicity=0.5)
        assert updated.attributes == {"latency": 120, "jitter": 10} and updated.toxicity == 0.5
        client.remove_toxic(name, toxic.name)
        assert ping(sock).data == b"+PONG\r\n"
    assert client.toxics(name) == []
    client.add_toxic(name, "limit_data", {"bytes": 3}, stream="upstream", name="cut")
    assert [t.name for t in client.get_proxy(name).toxics] == ["cut"]


def test_populate(client, proxies, redis_upstream):
    names = [proxies.name("cli"), proxies.name("cli")]
    made = client.populate([{"name": n, "listen": "127.0.0.1:0", "upstream": redis_upstream.address} for n in names])
    assert [p.name for p in made] == names


def test_every_error_status_raises(client, proxies):
    name = proxies.name("cli")
    client.create_proxy(name, "127.0.0.1:1")
    for call, status in [
        (lambda: client.create_proxy(name, "127.0.0.1:1"), 409),
        (lambda: client.add_toxic(name, "bogus"), 400),
        (lambda: client.create_proxy(proxies.name("cli"), "127.0.0.1:1", listen="127.0.0.1:99999"), 500),
        (lambda: client.remove_toxic(name, "nope"), 404),
    ]:
        with pytest.raises(ToxiproxyApiError) as error:
            call()
        assert error.value.status == status and error.value.message


def test_calls_have_a_deadline():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = ToxiproxyClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            client.version()
        assert time.monotonic() - started < 5


def test_two_servers_at_once(client, proxies, tmp_path):
    """toxiproxy-python has one process-wide address; two of our clients do not share it."""
    other = start_embedded(log_path=tmp_path / "second.log")
    try:
        second = ToxiproxyClient(other.url)
        name = proxies.name("cli")
        client.create_proxy(name, "127.0.0.1:1")
        assert name not in second.proxies()
        second.create_proxy("only-here", "127.0.0.1:1")
        assert "only-here" not in client.proxies()
        second.delete_proxy("only-here")
    finally:
        assert other.stop() == 0


def test_concurrent_use_from_threads(client, proxies):
    names = [proxies.name("thr") for _ in range(6)]
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            client.create_proxy(name, "127.0.0.1:1")
            client.add_toxic(name, "latency", {"latency": 1})
            client.delete_proxy(name)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors


def test_refuses_urls_it_cannot_reach():
    with pytest.raises(ValueError):
        ToxiproxyClient("https://127.0.0.1:8474")
