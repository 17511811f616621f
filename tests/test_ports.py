"""Ports are chosen below the kernel's ephemeral range, where client sockets never take them."""

import socket

from chaos.infra.ports import LOWEST, _ephemeral_start, free_port


def test_free_ports_are_below_the_ephemeral_range_and_bindable():
    top = _ephemeral_start()
    for _ in range(50):
        port = free_port()
        assert LOWEST <= port < top
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port))


def test_ports_do_not_follow_the_global_random_state():
    import random

    random.seed(1)
    first = [free_port() for _ in range(5)]
    random.seed(1)
    assert [free_port() for _ in range(5)] != first  # Hypothesis seeds `random` alike in every xdist worker


def test_a_port_in_use_is_not_chosen(monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy, busy, busy + 1 if busy + 1 < 65536 else busy - 1])
        monkeypatch.setattr("chaos.infra.ports._ephemeral_start", lambda: 65536)
        monkeypatch.setattr("chaos.infra.ports._RNG.randint", lambda a, b: next(picks))
        assert free_port() != busy
