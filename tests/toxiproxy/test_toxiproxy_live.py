"""Open connections follow changes at once, as in the reference's ``live_connection_behaviour``:
adding, updating and removing toxics, disabling, deleting, moving a proxy, and ``/reset``."""

from __future__ import annotations

import threading

import pytest
from toxiproxy_testkit import connect, exchange, free_port, ping


def test_latency_added_updated_removed_on_an_open_connection(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    base = f"/proxies/{proxy['name']}/toxics"
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        assert http.post(base, json={"type": "latency", "attributes": {"latency": 300}}).status_code == 200
        slow = ping(sock)
        assert slow.data == b"+PONG\r\n" and slow.elapsed_s >= 0.3
        assert http.post(f"{base}/latency_downstream", json={"attributes": {"latency": 100}}).status_code == 200
        updated = ping(sock)
        assert updated.data == b"+PONG\r\n" and updated.elapsed_s >= 0.1
        assert http.delete(f"{base}/latency_downstream").status_code == 204
        assert ping(sock).data == b"+PONG\r\n"


def test_disable_cuts_open_connections_and_refuses_new_ones(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        assert http.post(f"/proxies/{proxy['name']}", json={"enabled": False}).status_code == 200
        after = ping(sock)
        assert after.end in ("eof", "reset") and after.data == b""
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"], timeout_s=2).close()


def test_delete_cuts_open_connections(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        assert http.delete(f"/proxies/{proxy['name']}").status_code == 204
        after = ping(sock)
        assert after.end in ("eof", "reset") and after.data == b""
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"], timeout_s=2).close()


def test_listen_change_moves_the_proxy(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    new_listen = f"127.0.0.1:{free_port()}"
    answer = http.patch(f"/proxies/{proxy['name']}", json={"listen": new_listen})
    assert answer.status_code == 200 and answer.json()["listen"] == new_listen
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"], timeout_s=2).close()
    with connect(new_listen) as sock:
        assert ping(sock).data == b"+PONG\r\n"


def test_upstream_change_applies_to_new_connections(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    answer = http.patch(f"/proxies/{proxy['name']}", json={"upstream": f"127.0.0.1:{free_port()}"})
    assert answer.status_code == 200
    try:
        with connect(proxy["listen"]) as sock:
            after = ping(sock)
        assert after.end in ("eof", "reset") and after.data == b""
    except ConnectionResetError:
        pass
    assert http.patch(f"/proxies/{proxy['name']}", json={"upstream": redis_upstream.address}).status_code == 200
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"


def test_reset_removes_toxics_from_open_connections(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 300})
    with connect(proxy["listen"]) as sock:
        assert ping(sock).elapsed_s >= 0.3
        assert http.post("/reset").status_code == 204
        assert ping(sock).data == b"+PONG\r\n"
    assert http.get(f"/proxies/{proxy['name']}/toxics").json() == []


def test_reset_enables_disabled_proxies(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address, enabled=False)
    assert http.post("/reset").status_code == 204
    shown = http.get(f"/proxies/{proxy['name']}").json()
    assert shown["enabled"] is True
    with connect(shown["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"


def test_timeout_added_to_an_open_connection_closes_it(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        proxies.toxic(proxy, "timeout", {"timeout": 400})
        after = ping(sock)
    assert after.end == "eof" and after.data == b"" and after.elapsed_s >= 0.3


def test_limit_data_added_to_an_open_connection(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        proxies.toxic(proxy, "limit_data", {"bytes": 3})
        after = exchange(sock, b"PING\r\n", None)
    assert after.data == b"+PO" and after.end == "eof"


def test_reset_peer_added_to_an_open_connection_ends_it(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        proxies.toxic(proxy, "reset_peer", {"timeout": 0})
        after = ping(sock)
    # The real server closes connections that were open before the toxic with a FIN, ours with
    # an RST (README, differences); both end the connection without the answer.
    assert after.end in ("eof", "reset") and after.data == b""


def test_toxic_churn_keeps_every_byte_in_order(proxies, http, echo_upstream):
    """Toxics come and go on both streams while data flows: nothing is lost, duplicated or
    reordered."""
    proxy = proxies.create(echo_upstream.address)
    base = f"/proxies/{proxy['name']}/toxics"
    payload = bytes(i % 251 for i in range(1_500_000))
    received = bytearray()
    problems: list[str] = []

    with connect(proxy["listen"], timeout_s=30) as sock:
        def read_all() -> None:
            try:
                while len(received) < len(payload):
                    piece = sock.recv(65536)
                    if not piece:
                        problems.append(f"EOF after {len(received)} bytes")
                        return
                    received.extend(piece)
            except OSError as exc:
                problems.append(repr(exc))

        reader = threading.Thread(target=read_all)
        reader.start()
        writer = threading.Thread(target=lambda: sock.sendall(payload))
        writer.start()
        toxics = [
            {"type": "latency", "name": "lat-up", "stream": "upstream", "attributes": {"latency": 5}},
            {"type": "slicer", "name": "slice-down", "attributes": {"average_size": 2000, "size_variation": 500, "delay": 50}},
            {"type": "latency", "name": "lat-down", "attributes": {"latency": 3, "jitter": 2}},
            {"type": "noop", "name": "noop-up", "stream": "upstream"},
            {"type": "bandwidth", "name": "bw-down", "attributes": {"rate": 20000}},
        ]
        for round_ in range(3):
            for toxic in toxics:
                assert http.post(base, json=toxic).status_code == 200
            assert http.post(f"{base}/lat-down", json={"attributes": {"latency": 1 + round_}}).status_code == 200
            for toxic in (toxics if round_ % 2 else reversed(toxics)):
                assert http.delete(f"{base}/{toxic['name']}").status_code == 204
        writer.join(timeout=30)
        reader.join(timeout=30)
    assert not writer.is_alive() and not reader.is_alive(), "transfer did not finish in 30 s"
    assert not problems, problems
    assert len(received) == len(payload)
    assert bytes(received) == payload
