"""Readiness probes: how we know a server is up (never a sleep). Each probe is one cheap check;
``wait_ready`` repeats it until it passes or a deadline expires."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Callable

import httpx

from chaos.infra.base import InfraError

POLL_S = 0.05


class RedisPing:
    def __init__(self, port: int):
        self.port = port

    def __call__(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def __str__(self) -> str:
        return f"PING on 127.0.0.1:{self.port}"


class HttpHealth:
    """HTTP 200 from ``url`` (with basic ``auth`` when the server asks for it)."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None):
        self.url = url
        self.auth = auth

    def __call__(self) -> bool:
        try:
            return httpx.get(self.url, timeout=0.5, auth=self.auth).status_code == 200
        except httpx.HTTPError:
            return False

    def __str__(self) -> str:
        return f"HTTP 200 from {self.url}"


class AllOf:
    """Every probe passes, checked in order (a later one only once the earlier ones pass)."""

    def __init__(self, *probes):
        self.probes = probes

    def arm(self) -> None:
        for probe in self.probes:
            if hasattr(probe, "arm"):
                probe.arm()

    def __call__(self) -> bool:
        return all(probe() for probe in self.probes)

    def __str__(self) -> str:
        return " and ".join(str(p) for p in self.probes)


def log_size(path: Path) -> int:
    """Where a log ends now: what a server writes from here on is its own (the log is appended to)."""
    return path.stat().st_size if path.exists() else 0


def read_from(path: Path, offset: int) -> str:
    """What ``path`` gained after ``offset`` ('' while it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


class LogLine:
    """A line matching ``pattern`` appears in the log after the offset it is armed at."""

    def __init__(self, log_path: Path, pattern: str):
        self.log_path = Path(log_path)
        self.pattern = re.compile(pattern)
        self.offset = 0

    def arm(self) -> None:
        self.offset = log_size(self.log_path)

    def __call__(self) -> bool:
        return bool(self.pattern.search(read_from(self.log_path, self.offset)))

    def __str__(self) -> str:
        return f"a log line matching {self.pattern.pattern!r}"


def wait_ready(probe: Callable[[], bool], *, what: str, deadline_s: float, log_path: Path | None,
               alive: Callable[[], bool] | None = None) -> float:
    """Poll ``probe`` until it passes; return seconds waited. Raise if the deadline passes or the
    process dies first."""
    start = time.monotonic()
    while True:
        if probe():
            return time.monotonic() - start
        if alive is not None and not alive():
            raise InfraError(f"{what} exited before it was ready (waiting for {probe}); see its log: {log_path}")
        if time.monotonic() - start > deadline_s:
            raise InfraError(f"{what} was not ready within {deadline_s:.0f} s (waiting for {probe}); see its log: {log_path}")
        time.sleep(POLL_S)
