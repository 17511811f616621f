"""The process infra driver: servers as local child processes, hurt with signals.

Each server runs in its own session (``start_new_session``), so its session holds it and everything
it forks (Celery prefork children, RQ work horses — which move to a process group of their own with
``os.setpgrp()`` in rq/worker/worker_classes.py, so a process-group signal would miss them):
``stop``/``kill``/``pause`` signal every member of the session, and nothing outside it. Children also get ``PR_SET_PDEATHSIG`` so they die with the harness
even if the harness itself is killed. Every server started is tracked in ``LIVE`` and stopped by
``stop_all`` (atexit and the plugin's teardown), also after Ctrl-C or a crashed test.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

from chaos.brokers import broker_kind
from chaos.infra.base import InfraDriver, InfraError, Server
from chaos.infra.readiness import RedisPing, wait_ready

STOP_DEADLINE_S = 10.0
READY_DEADLINE_S = 30.0
LIVE: set["ProcessServer"] = set()

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def session_members(sid: int) -> list[int]:
    """Pids (not zombies) whose session is ``sid``, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry))
    return members


class ProcessServer(Server):
    def __init__(self, *, name: str, role: str, argv: list[str], env: dict | None, cwd: Path, log_path: Path,
                 ready, ready_deadline_s: float = READY_DEADLINE_S, stop_deadline_s: float = STOP_DEADLINE_S):
        self.name, self.role, self.argv, self.env, self.cwd = name, role, argv, env, Path(cwd)
        self.log_path = Path(log_path)
        self.ready = ready
        self.ready_deadline_s = ready_deadline_s
        self.stop_deadline_s = stop_deadline_s
        self.proc: subprocess.Popen | None = None
        self.paused = False
        self.pids: list[int] = []  # every pid this server has had, for the report

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if self.is_alive():
            raise InfraError(f"{self.name} is already running (pid {self.proc.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== taskchaos: starting {self.name}: {' '.join(self.argv)} ===\n".encode())
            log.flush()
            if hasattr(self.ready, "arm"):  # LogLine, or a composite holding one
                self.ready.arm()  # after our own header, which must never count as the server's word
            try:
                self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                             preexec_fn=_die_with_parent)
            except FileNotFoundError as exc:
                raise InfraError(f"cannot start {self.name}: {exc.filename} not found") from exc
        self.paused = False
        self.pids.append(self.proc.pid)
        LIVE.add(self)
        try:
            wait_ready(self.ready, what=f"{self.name} (pid {self.proc.pid})", deadline_s=self.ready_deadline_s,
                       log_path=self.log_path, alive=self.is_alive)
        except InfraError:
            self.kill()
            raise

    def _signal_group(self, sig: int) -> None:
        """Signal every process of the server's session, the leader first."""
        members = session_members(self.proc.pid)
        for pid in sorted(members, key=lambda p: p != self.proc.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _reap(self, deadline_s: float) -> bool:
        try:
            self.proc.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _sweep_group(self) -> None:
        """Kill members the leader left behind (orphaned children), then forget the server."""
        deadline = time.monotonic() + 5
        while session_members(self.proc.pid):
            self._signal_group(signal.SIGKILL)
            if time.monotonic() > deadline:
                raise InfraError(f"{self.name}: processes {session_members(self.proc.pid)} survived SIGKILL")
            time.sleep(0.02)
        LIVE.discard(self)

    def stop(self, grace_s: float | None = None) -> dict:
        grace = self.stop_deadline_s if grace_s is None else float(grace_s)
        evidence = {"signal": "SIGTERM", "grace_s": grace, "exited_within_grace": True, "waited_s": 0.0}
        if self.proc is None:
            return {**evidence, "note": "not running"}
        start = time.monotonic()
        if self.proc.poll() is None:
            if self.paused:
                self.resume()
            self.proc.send_signal(signal.SIGTERM)  # the leader only: a worker shuts its children down itself
            if not self._reap(grace):
                evidence["exited_within_grace"] = False
                self._signal_group(signal.SIGKILL)
                self._reap(5)
        evidence["waited_s"] = round(time.monotonic() - start, 3)
        evidence["exit_code"] = self.proc.returncode
        self._sweep_group()
        return evidence

    def kill(self) -> None:
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self._reap(5)
        self._sweep_group()
        self.paused = False

    def pause(self) -> None:
        self._require_alive("pause")
        self._signal_group(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.proc is not None:
            self._signal_group(signal.SIGCONT)
        self.paused = False

    def kill_descendant(self, pid: int) -> None:
        self._require_alive("kill a child of")
        try:
            if os.getsid(pid) != self.proc.pid:
                raise InfraError(f"pid {pid} does not belong to {self.name} (session {self.proc.pid}); not killing it")
        except ProcessLookupError:
            raise InfraError(f"pid {pid} of {self.name} is already gone") from None
        os.kill(pid, signal.SIGKILL)

    def owns(self, pid: int) -> bool:
        """``pid`` is in this server's session (the leader, a prefork child, a work horse), or was one of
        its leaders (a process that has exited is looked up by the pids this server has had)."""
        if pid in self.pids:
            return True
        try:
            return self.proc is not None and os.getsid(pid) == self.proc.pid
        except ProcessLookupError:
            return False

    def _require_alive(self, action: str) -> None:
        if not self.is_alive():
            raise InfraError(f"cannot {action} {self.name}: it is not running; see its log: {self.log_path}")

    # -- state ---------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def is_alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def is_paused(self) -> bool:
        return self.paused

    def describe(self) -> dict:
        code = self.proc.poll() if self.proc else None
        return {"name": self.name, "role": self.role, "driver": "process", "pid": self.pid, "pids": self.pids,
                "exit_code": code,
                "argv": self.argv, "log": str(self.log_path)}


def redis_persistence_args(persistence: str) -> list[str]:
    """redis-server options for each durability mode of the Redis kind (chaos/brokers.toml)."""
    return broker_kind("redis").options(persistence)


def redis_argv(binary: str, port: int, persistence: str, workdir: Path) -> list[str]:
    return [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir), "--daemonize", "no",
            "--protected-mode", "yes", "--logfile", "", *redis_persistence_args(persistence)]


def find_redis_server() -> str:
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]:
        candidate = Path(directory) / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise InfraError("redis-server not found: install it with `apt-get install redis-server` "
                     "(the README's commands do it for you when run as root)")


class ProcessDriver(InfraDriver):
    name = "process"

    def redis(self, *, name: str, port: int, durability: str, workdir: Path, log_path: Path,
              role: str = "broker") -> Server:
        workdir.mkdir(parents=True, exist_ok=True)
        return ProcessServer(name=name, role=role, argv=redis_argv(find_redis_server(), port, durability, workdir),
                             env=None, cwd=workdir, log_path=log_path, ready=RedisPing(port))

    def rabbitmq(self, *, name: str, port: int, durability: str, workdir: Path, log_path: Path, role: str = "broker",
                 consumer_timeout_ms: int) -> Server:
        """A RabbitMQ node; ``durability`` is the clients' to declare (chaos/brokers.toml), not the node's."""
        from chaos.infra.rabbitmq import rabbitmq_server  # the module imports this one

        return rabbitmq_server(name=name, port=port, workdir=workdir, log_path=log_path, role=role,
                               consumer_timeout_ms=consumer_timeout_ms)

    def python(self, *, name: str, role: str, argv: list[str], env: dict, cwd: Path, log_path: Path, ready) -> Server:
        return ProcessServer(name=name, role=role, argv=argv, env=env, cwd=cwd, log_path=log_path, ready=ready)


def stop_all() -> None:
    """Stop every server still running (tests' teardown, Ctrl-C, interpreter exit)."""
    for server in list(LIVE):
        try:
            server.kill()
        except Exception:  # keep stopping the others
            pass


atexit.register(stop_all)
