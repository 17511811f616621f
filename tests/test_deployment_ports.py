"""The port race (issue 13): a port chosen free is taken by another process before its server binds it.

Provoked for real: the test takes the port the deployment is about to use — with a bare listening
socket (the server dies with "address already in use"), or with another redis-server (the readiness
PING answers from the squatter) — and the deployment must come up on another port, say so in its
notes and ``port_retries``, and work: a task runs through the app, Toxiproxy and our Redis."""

from __future__ import annotations

import socket

import httpx
import pytest

import chaos.infra.deployment as deployment_module
from chaos.infra import get_driver, unavailable
from chaos.infra.base import InfraError
from chaos.infra.deployment import PORT_TRIES, Deployment
from chaos.infra.ports import free_port
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger
from tests.helpers import wait_for

# The order in which Deployment.__init__ chooses ports for a Redis profile without a monitor.
CHOSEN = ("redis", "toxiproxy", "app")


class Squatted:
    """``free_port`` that hands out ``port`` as the choice for ``server``, then real free ports."""

    def __init__(self, server: str, port: int):
        self.call, self.port, self.calls = CHOSEN.index(server) + 1, port, 0

    def __call__(self) -> int:
        self.calls += 1
        return self.port if self.calls == self.call else free_port()


@pytest.fixture
def listening_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        yield sock.getsockname()[1]


def _runs_a_task(dep: Deployment) -> None:
    answer = httpx.post(f"{dep.app_url}/tasks", json={"key": "k", "duration_s": 0.01}, timeout=10)
    assert answer.status_code in (200, 202), answer.text
    wait_for(lambda: any(r.key == "k" and r.event == "returned" for r in read_ledger(dep.ledger_dir).records))


@pytest.mark.parametrize("server", CHOSEN)
def test_a_server_whose_port_is_taken_starts_again_on_another(tmp_path, monkeypatch, listening_socket, server):
    monkeypatch.setattr(deployment_module, "free_port", Squatted(server, listening_socket))
    dep = Deployment(get_profile("rq-default"), get_driver("process"), tmp_path)
    with dep:
        retry, = dep.port_retries
        assert retry["server"] == server and retry["port"] == listening_socket != retry["new_port"]
        assert any(f"127.0.0.1:{listening_socket}" in note for note in dep.notes)
        if server != "toxiproxy":
            assert dep.ports[server] == retry["new_port"] and dep.servers[server].listens_on(retry["new_port"])
        _runs_a_task(dep)


@pytest.mark.parametrize("infra", ["process", "docker"])
def test_a_redis_squatter_that_answers_ping_is_not_taken_for_ours(tmp_path, monkeypatch, infra):
    """The readiness PING passes against another redis-server on the port: only the listener's pid
    tells that it is not ours."""
    reason = unavailable(infra)
    if reason:
        pytest.skip(f"--infra {infra} is unavailable here: {reason}")
    squatter_port = free_port()
    squatter = get_driver("process").redis(name="squatter", port=squatter_port, durability="none",
                                           workdir=tmp_path / "squatter", log_path=tmp_path / "squatter.log")
    squatter.start()
    driver = get_driver(infra)
    try:
        monkeypatch.setattr(deployment_module, "free_port", Squatted("redis", squatter_port))
        dep = Deployment(get_profile("rq-default"), driver, tmp_path / "run")
        with dep:
            retry, = dep.port_retries
            assert retry["server"] == "redis" and retry["port"] == squatter_port
            assert dep.ports["redis"] != squatter_port and dep.servers["redis"].listens_on(dep.ports["redis"])
            assert dep.toxiproxy.client.get_proxy(dep.toxiproxy.proxy).upstream == f"127.0.0.1:{dep.ports['redis']}"
            _runs_a_task(dep)
    finally:
        driver.close()
        squatter.kill()


def test_the_tries_are_bounded_and_the_error_says_so(tmp_path, monkeypatch, listening_socket):
    monkeypatch.setattr(deployment_module, "free_port", lambda: listening_socket)  # every choice is taken
    dep = Deployment(get_profile("bgtasks"), get_driver("process"), tmp_path)
    with pytest.raises(InfraError, match="app"):
        dep.up()
    assert len(dep.port_retries) == PORT_TRIES - 1
    assert not dep.servers["app"].is_alive()
