"""Every toxic on the wire: Redis (or an echo server) behind a proxy, observed from a client socket.

Delays are checked as lower bounds only, rates within a wide band: the CI machine is loaded.
"""

from __future__ import annotations

import socket
import time

import pytest
from toxiproxy_testkit import connect, exchange, host_port, ping


def test_no_toxic_passes_redis_traffic(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"
        got = exchange(sock, b"SET k hello\r\nGET k\r\n", b"hello\r\n")
        assert got.data == b"+OK\r\n$5\r\nhello\r\n"


def test_noop_toxic_changes_nothing(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "noop")
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"


@pytest.mark.parametrize("stream", ["downstream", "upstream"])
def test_latency_delays_by_at_least_the_latency(proxies, redis_upstream, stream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 150}, stream=stream)
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.data == b"+PONG\r\n"
    assert got.elapsed_s >= 0.15


def test_latency_with_jitter_stays_above_latency_minus_jitter(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 120, "jitter": 60})
    with connect(proxy["listen"]) as sock:
        for _ in range(3):
            got = ping(sock)
            assert got.data == b"+PONG\r\n"
            assert got.elapsed_s >= 0.06


def test_latencies_on_both_streams_add_up(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 100}, stream="upstream")
    proxies.toxic(proxy, "latency", {"latency": 100}, stream="downstream")
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.data == b"+PONG\r\n" and got.elapsed_s >= 0.2


def test_bandwidth_limits_the_rate_within_a_wide_band(proxies, echo_upstream):
    rate_kbps = 100
    payload = bytes(range(256)) * 240  # 61440 bytes: about 0.6 s at 100 KB/s
    proxy = proxies.create(echo_upstream.address)
    proxies.toxic(proxy, "bandwidth", {"rate": rate_kbps})
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, payload, len(payload), timeout_s=10)
    assert got.end == "complete" and got.data == payload
    measured_kbps = len(payload) / 1000 / got.elapsed_s
    assert 0.5 * rate_kbps <= measured_kbps <= 2 * rate_kbps, measured_kbps


def test_slow_close_delays_the_close_not_the_data(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "slow_close", {"delay": 300})
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, b"QUIT\r\n", None)
    assert got.data == b"+OK\r\n"
    assert got.end == "eof" and got.elapsed_s >= 0.3


def test_timeout_closes_after_the_timeout_without_data(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "timeout", {"timeout": 300})
    connected = time.monotonic()  # the toxic's timer runs from the connection, not from our first byte
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, b"PING\r\n", None)
    assert got.data == b"" and got.end == "eof"
    assert time.monotonic() - connected >= 0.3


def test_timeout_zero_holds_the_connection_silent_until_removed(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    toxic = proxies.toxic(proxy, "timeout", {"timeout": 0})
    with connect(proxy["listen"]) as sock:
        got = ping(sock, timeout_s=0.5)
        assert got.end == "timeout" and got.data == b""
        assert http.delete(f"/proxies/{proxy['name']}/toxics/{toxic['name']}").status_code == 204
        # Toxiproxy 2.x closes the connections a timeout toxic was applied to when it is removed.
        after = exchange(sock, b"", None, timeout_s=5)
        assert after.end in ("eof", "reset") and after.data == b""
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"


def test_reset_peer_resets_new_connections(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "reset_peer", {"timeout": 0})
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.end == "reset" and got.data == b""


def test_reset_peer_waits_for_its_timeout(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "reset_peer", {"timeout": 250})
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.end == "reset" and got.elapsed_s >= 0.25


def test_limit_data_cuts_after_n_bytes(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "limit_data", {"bytes": 3})
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, b"PING\r\n", None)
    assert got.data == b"+PO" and got.end == "eof"


def test_limit_data_upstream_passes_exactly_n_client_bytes(proxies, redis_upstream):
    first = b"SET tp-limit-data first\r\n"
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "limit_data", {"bytes": len(first)}, stream="upstream")
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, first + b"SET tp-limit-data second\r\n", None)
    assert got.end in ("eof", "reset")
    with connect(redis_upstream.address) as direct:  # Redis saw the first command only
        assert exchange(direct, b"GET tp-limit-data\r\n", b"first\r\n").end == "complete"


def test_a_cut_request_stream_behind_slow_close_answers_nothing_then_closes_late(proxies, redis_upstream):
    """What the slow-close fault (chaos/nemesis/slow_close.py) relies on: limit_data of 0 bytes upstream
    closes the connection to the server at the client's first byte, which the server never sees, and
    slow_close downstream holds that close from the client for its delay."""
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "slow_close", {"delay": 300})
    proxies.toxic(proxy, "limit_data", {"bytes": 0}, stream="upstream")
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, b"SET tp-slow-close cut\r\n", None, timeout_s=5)
    assert got.data == b"" and got.end in ("eof", "reset")
    assert got.elapsed_s >= 0.3
    with connect(redis_upstream.address) as direct:  # the command never reached Redis
        assert exchange(direct, b"EXISTS tp-slow-close\r\n", b"\r\n").data == b":0\r\n"


def test_slicer_delivers_everything_in_slices_with_delays(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "slicer", {"average_size": 1, "size_variation": 0, "delay": 20000})
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.data == b"+PONG\r\n"
    assert got.elapsed_s >= 6 * 0.02  # 7 one-byte slices, the last arrives after 6 delays


def test_slicer_with_variation_keeps_data_intact(proxies, echo_upstream):
    payload = bytes(range(256)) * 40
    proxy = proxies.create(echo_upstream.address)
    proxies.toxic(proxy, "slicer", {"average_size": 100, "size_variation": 30, "delay": 100})
    with connect(proxy["listen"]) as sock:
        got = exchange(sock, payload, len(payload), timeout_s=10)
    assert got.end == "complete" and got.data == payload


def test_toxicity_zero_never_applies(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 3000}, toxicity=0)
    with connect(proxy["listen"]) as sock:
        got = ping(sock)
    assert got.data == b"+PONG\r\n" and got.elapsed_s < 2.0


def test_toxicity_half_applies_to_some_connections_only(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    proxies.toxic(proxy, "latency", {"latency": 150}, toxicity=0.5)
    slow = fast = 0
    for _ in range(16):  # all 16 on the same side: probability 2 * 2**-16
        with connect(proxy["listen"]) as sock:
            got = ping(sock)
        assert got.data == b"+PONG\r\n"
        if got.elapsed_s >= 0.15:
            slow += 1
        else:
            fast += 1
        if slow and fast:
            break
    assert slow and fast, (slow, fast)


def test_disabled_proxy_refuses_connections(proxies, http, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    assert http.post(f"/proxies/{proxy['name']}", json={"enabled": False}).status_code == 200
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"], timeout_s=2).close()
    assert http.post(f"/proxies/{proxy['name']}", json={"enabled": True}).status_code == 200
    with connect(proxy["listen"]) as sock:
        assert ping(sock).data == b"+PONG\r\n"


def test_unreachable_upstream_ends_the_client_connection(proxies):
    with socket.socket() as placeholder:  # a port nothing listens on
        placeholder.bind(("127.0.0.1", 0))
        dead = placeholder.getsockname()[1]
    proxy = proxies.create(f"127.0.0.1:{dead}")
    try:  # the real server resets the client; the reset may even reach connect() itself
        with connect(proxy["listen"]) as sock:
            got = ping(sock)
    except (ConnectionResetError, BrokenPipeError):
        return
    assert got.end in ("reset", "eof") and got.data == b""


def test_many_connections_at_once(proxies, redis_upstream):
    proxy = proxies.create(redis_upstream.address)
    sockets = [connect(proxy["listen"]) for _ in range(40)]
    try:
        for sock in sockets:
            sock.sendall(b"PING\r\n")
        for sock in sockets:
            assert exchange(sock, b"", b"\r\n").data == b"+PONG\r\n"
    finally:
        for sock in sockets:
            sock.close()


def test_large_transfer_through_proxy_is_intact(proxies, echo_upstream):
    payload = bytes(range(256)) * 8192  # 2 MiB
    proxy = proxies.create(echo_upstream.address)
    host, port = host_port(proxy["listen"])
    started = time.monotonic()
    with connect((host, port)) as sock:
        got = exchange(sock, payload, len(payload), timeout_s=20)
    assert got.end == "complete" and got.data == payload, (len(got.data), time.monotonic() - started)
