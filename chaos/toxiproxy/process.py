"""Start and stop a Toxiproxy server as a child process on 127.0.0.1.

Two kinds of child, same handling: the embedded server (``python -m chaos.toxiproxy.server
--port 0``: it picks its port and prints it) and a real ``toxiproxy-server`` binary (we pick a
free port for it, and retry with another if it was taken meanwhile). Either way:

- the child runs in its own session (``start_new_session=True``: a Ctrl-C in the terminal does
  not reach it; we stop it ourselves), with stdout and stderr in one log file, and dies with the
  harness (``PR_SET_PDEATHSIG``: a harness killed with SIGKILL runs no atexit hook, and an
  orphaned Toxiproxy would stay up for good);
- it is ready when ``GET /version`` answers 200 — polled until a deadline, never a fixed sleep;
  if the deadline passes or the child exits first, :class:`ToxiproxyStartError` says so and names
  the log file (with its last lines);
- :meth:`ToxiproxyProcess.stop` signals *its own pid*: SIGTERM, then SIGKILL after a deadline.
  An ``atexit`` hook stops children that are still running when the interpreter exits.
"""

from __future__ import annotations

import atexit
import ctypes
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

__all__ = ["ToxiproxyProcess", "ToxiproxyStartError", "probe_version", "start_binary", "start_embedded"]

HOST = "127.0.0.1"
READY_LINE = re.compile(r"toxiproxy listening on (\S+):(\d+)\s*$", re.MULTILINE)
_POLL_S = 0.02
_POLL_MAX_S = 0.2


class ToxiproxyStartError(RuntimeError):
    """The server did not become ready (timeout or early exit); the message names the log."""


@dataclass
class ToxiproxyProcess:
    """A running Toxiproxy child process and where its API is."""

    url: str
    host: str
    port: int
    pid: int
    log_path: Path
    argv: list[str]
    _popen: subprocess.Popen = field(repr=False)

    def alive(self) -> bool:
        return self._popen.poll() is None

    def stop(self, timeout_s: float = 5.0) -> int:
        """SIGTERM, wait up to ``timeout_s``, then SIGKILL and wait again; returns the exit code."""
        if self._popen.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self._popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self._popen.wait(timeout=timeout_s)
        _RUNNING.discard(self)
        return self._popen.returncode

    def __hash__(self) -> int:
        return self.pid

    def __eq__(self, other: object) -> bool:
        return self is other


_RUNNING: set[ToxiproxyProcess] = set()  # for the atexit safety net


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_RUNNING):
        try:
            process.stop(timeout_s=2.0)
        except (OSError, subprocess.TimeoutExpired):
            pass


def probe_version(url: str, timeout_s: float = 1.0) -> str | None:
    """The body of ``GET {url}/version`` if it answers 200 within ``timeout_s``, else ``None``."""
    match = re.match(r"https?://([^/:]+|\[[^\]]+\]):(\d+)", url)
    if match is None:
        raise ValueError(f"not a Toxiproxy URL with host and port: {url!r}")
    host, port = match.group(1).strip("[]"), int(match.group(2))
    connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", "/version", headers={"User-Agent": "taskchaos-probe"})
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return body if response.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(log unreadable)"
    return "\n".join(text.splitlines()[-lines:]) or "(log empty)"


def _default_log(prefix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f"taskchaos-{prefix}-", suffix=".log")
    os.close(handle)
    return Path(name)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux only)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, preexec_fn=_die_with_parent)


def _fail(popen: subprocess.Popen, log_path: Path, why: str) -> ToxiproxyStartError:
    if popen.poll() is None:
        os.kill(popen.pid, signal.SIGKILL)
        popen.wait(timeout=5.0)
    return ToxiproxyStartError(f"{why}; log file: {log_path}\n--- last lines ---\n{_log_tail(log_path)}")


def _log_size(log_path: Path) -> int:
    try:
        return log_path.stat().st_size
    except OSError:
        return 0


def _read_from(log_path: Path, offset: int) -> str:
    with open(log_path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _wait_ready(popen: subprocess.Popen, log_path: Path, deadline: float,
                port: int | None, offset: int = 0) -> tuple[str, int]:
    """Poll until the child prints its port (if ``port`` is None) and answers GET /version. Only what
    the log gained after ``offset`` counts: a log appended to by an earlier server holds its port."""
    pause = _POLL_S
    host = HOST
    while True:
        if popen.poll() is not None:
            raise _fail(popen, log_path, f"toxiproxy exited with code {popen.returncode} before it was ready")
        if port is None:
            match = READY_LINE.search(_read_from(log_path, offset))
            if match:
                host, port = match.group(1).strip("[]"), int(match.group(2))
        if port is not None and probe_version(f"http://{host}:{port}", timeout_s=1.0) is not None:
            return host, port
        if time.monotonic() >= deadline:
            raise _fail(popen, log_path, "toxiproxy did not answer GET /version before the deadline")
        time.sleep(pause)
        pause = min(pause * 2, _POLL_MAX_S)


def _started(argv: list[str], popen: subprocess.Popen, log_path: Path, host: str, port: int) -> ToxiproxyProcess:
    process = ToxiproxyProcess(f"http://{host}:{port}", host, port, popen.pid, log_path, argv, popen)
    _RUNNING.add(process)
    return process


def start_embedded(log_path: Path | None = None, startup_timeout_s: float = 20.0,
                   python: str = sys.executable, extra_args: Sequence[str] = ()) -> ToxiproxyProcess:
    """Start ``python -m chaos.toxiproxy.server`` on 127.0.0.1 with a port of its choosing
    (``extra_args``: more server flags, e.g. ``["--config", path, "--seed", "1"]``)."""
    log_path = log_path or _default_log("toxiproxy-embedded")
    argv = [python, "-m", "chaos.toxiproxy.server", "--host", HOST, "--port", "0", *extra_args]
    offset = _log_size(log_path)
    popen = _spawn(argv, log_path)
    host, port = _wait_ready(popen, log_path, time.monotonic() + startup_timeout_s, port=None, offset=offset)
    return _started(argv, popen, log_path, host, port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_binary(binary: str = "toxiproxy-server", log_path: Path | None = None,
                 startup_timeout_s: float = 20.0, attempts: int = 3) -> ToxiproxyProcess:
    """Start a real ``toxiproxy-server`` on 127.0.0.1 and a free port (it cannot report one)."""
    log_path = log_path or _default_log("toxiproxy-server")
    for attempt in range(1, attempts + 1):
        port = _free_port()
        argv = [binary, "-host", HOST, "-port", str(port)]
        popen = _spawn(argv, log_path)
        try:
            host, port = _wait_ready(popen, log_path, time.monotonic() + startup_timeout_s, port=port)
        except ToxiproxyStartError as exc:
            if attempt < attempts and "address already in use" in str(exc):
                continue  # the port was taken between our check and its bind: try another
            raise
        return _started(argv, popen, log_path, host, port)
    raise AssertionError("unreachable")  # pragma: no cover
