"""Helpers for the Toxiproxy tests: sockets with deadlines, throwaway upstream servers, and a
tracker that deletes every proxy a test made.

Timing rule for these tests (CI is a loaded 2-core machine): assert lower bounds for delays
("at least the latency"), never tight upper bounds; rates only within a wide band.
"""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

PREFIX = "tptest-"  # every proxy a test creates starts with this


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    return ("127.0.0.1" if host in ("", "::", "0.0.0.0") else host), int(port)


def wait_until(predicate, timeout_s: float, what: str, pause_s: float = 0.01):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(pause_s)


@dataclass
class Exchange:
    """What a socket saw: ``end`` is "complete" (got what we waited for), "eof", "reset",
    or "timeout"; ``elapsed_s`` runs from the send to the end."""

    data: bytes
    end: str
    elapsed_s: float


def connect(address: str | tuple[str, int], timeout_s: float = 5.0) -> socket.socket:
    if isinstance(address, str):
        address = host_port(address)
    sock = socket.create_connection(address, timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(sock: socket.socket, payload: bytes, until: bytes | int | None, timeout_s: float = 5.0) -> Exchange:
    """Send ``payload``, then read until ``until`` (a terminator, a byte count, or ``None`` =
    until EOF), EOF, a reset or the timeout."""
    started = time.monotonic()
    if payload:
        sock.sendall(payload)
    data = b""
    deadline = started + timeout_s
    while True:
        if isinstance(until, bytes) and until in data:
            return Exchange(data, "complete", time.monotonic() - started)
        if isinstance(until, int) and len(data) >= until:
            return Exchange(data, "complete", time.monotonic() - started)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Exchange(data, "timeout", time.monotonic() - started)
        sock.settimeout(remaining)
        try:
            piece = sock.recv(65536)
        except socket.timeout:
            return Exchange(data, "timeout", time.monotonic() - started)
        except ConnectionResetError:
            return Exchange(data, "reset", time.monotonic() - started)
        if not piece:
            return Exchange(data, "eof", time.monotonic() - started)
        data += piece


def ping(sock: socket.socket, timeout_s: float = 5.0) -> Exchange:
    return exchange(sock, b"PING\r\n", b"\r\n", timeout_s)


# --------------------------------------------------------------------------- upstreams


@dataclass
class RedisServer:
    host: str
    port: int
    popen: subprocess.Popen
    log_path: Path

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)


def start_redis(directory: Path, startup_timeout_s: float = 10.0) -> RedisServer:
    port = free_port()
    log_path = directory / "redis.log"
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = RedisServer("127.0.0.1", port, popen, log_path)

    def answers_ping() -> bool:
        if popen.poll() is not None:
            raise AssertionError(f"redis-server exited early; see {log_path}")
        try:
            with connect(("127.0.0.1", port), timeout_s=1.0) as sock:
                return ping(sock, timeout_s=1.0).data == b"+PONG\r\n"
        except OSError:
            return False

    try:
        wait_until(answers_ping, startup_timeout_s, f"redis-server on port {port} (log {log_path})", 0.02)
    except BaseException:
        server.stop()
        raise
    return server


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(30)
        try:
            while True:
                data = self.request.recv(65536)
                if not data:
                    return
                self.request.sendall(data)
        except OSError:
            return


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class EchoServer:
    """A threaded TCP echo server on 127.0.0.1 (stopped by :meth:`stop`)."""

    server: _ThreadingServer
    thread: threading.Thread

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_echo() -> EchoServer:
    server = _ThreadingServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return EchoServer(server, thread)


# --------------------------------------------------------------------------- proxies


@dataclass
class ProxyTracker:
    """Creates proxies with unique ``tptest-`` names and deletes them all afterwards; fails the
    test if any ``tptest-`` proxy is left on the server."""

    http: httpx.Client
    label: str
    names: set[str] = field(default_factory=set)
    _count: int = 0

    def name(self, what: str = "p") -> str:
        self._count += 1
        name = f"{PREFIX}{self.label}-{what}-{self._count}"
        self.names.add(name)
        return name

    def create(self, upstream: str, what: str = "p", listen: str = "127.0.0.1:0", **extra) -> dict:
        body = {"name": self.name(what), "listen": listen, "upstream": upstream, **extra}
        response = self.http.post("/proxies", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def toxic(self, proxy: dict, type: str, attributes: dict | None = None, **extra) -> dict:
        body = {"type": type, "attributes": attributes or {}, **extra}
        response = self.http.post(f"/proxies/{proxy['name']}/toxics", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def cleanup(self) -> list[str]:
        for name in self.names:
            self.http.delete(f"/proxies/{quote(name, safe='')}")
        leftovers = [n for n in self.http.get("/proxies").json() if n.startswith(PREFIX)]
        for name in leftovers:
            self.http.delete(f"/proxies/{quote(name, safe='')}")
        return leftovers
