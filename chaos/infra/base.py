"""The infra driver interface: servers the nemesis can hurt, and the driver that makes them.

Every operation waits with a deadline and raises :class:`InfraError` naming what did not happen
and where the server's log is.
"""

from __future__ import annotations

import abc
from pathlib import Path

from chaos.infra.listeners import listener_pids


class InfraError(RuntimeError):
    pass


class Server(abc.ABC):
    """One server of a deployment (``role``: redis, app, worker)."""

    name: str
    role: str
    log_path: Path

    @abc.abstractmethod
    def start(self) -> None:
        """Start and wait until ready."""

    @abc.abstractmethod
    def stop(self, grace_s: float | None = None) -> dict:
        """Graceful stop: SIGTERM, then SIGKILL once ``grace_s`` has passed (None: the server's own stop
        deadline) — ``docker stop -t N`` semantics. Returns what happened: ``grace_s``, whether the server
        exited within it (``exited_within_grace``) and how long the stop took (``waited_s``)."""

    @abc.abstractmethod
    def kill(self) -> None:
        """SIGKILL the server and everything it started."""

    @abc.abstractmethod
    def pause(self) -> None:
        """Freeze (SIGSTOP / docker pause)."""

    @abc.abstractmethod
    def resume(self) -> None:
        """Thaw what ``pause`` froze."""

    @abc.abstractmethod
    def is_alive(self) -> bool: ...

    @abc.abstractmethod
    def is_paused(self) -> bool: ...

    @abc.abstractmethod
    def kill_descendant(self, pid: int) -> None:
        """SIGKILL one process that this server started (a prefork child, a work horse), not the server."""

    @abc.abstractmethod
    def owns(self, pid: int) -> bool:
        """Whether process ``pid`` is this server or one it started (which worker ran a task body)."""

    def listens_on(self, port: int) -> bool:
        """Whether one of this server's own processes holds the listening socket on ``port`` (and not a
        process that took the port between its choice and this server's bind)."""
        return any(self.owns(pid) for pid in listener_pids(port))

    def restart(self) -> None:
        self.stop()
        self.start()

    @abc.abstractmethod
    def describe(self) -> dict:
        """What the report shows: driver, pid or container id, command, log."""


class InfraDriver(abc.ABC):
    name: str

    def broker_server(self, kind, *, name: str, port: int, durability: str, workdir: Path, log_path: Path,
                      role: str, settings: dict) -> Server:
        """A server of broker kind ``kind`` (a ``chaos.brokers.BrokerKind``) on 127.0.0.1:``port`` in
        durability mode ``durability``: this driver's method named after the kind, given the profile
        settings the kind's server takes (``server_settings``)."""
        make = getattr(self, kind.name.replace("-", "_"), None)
        if make is None:
            raise InfraError(f"the {self.name} infra driver cannot run {kind.title} (it has no method "
                             f"{kind.name!r}): use another --infra")
        missing = [s for s in kind.server_settings if s not in settings]
        if missing:
            raise InfraError(f"{kind.title} needs the profile settings {', '.join(missing)} (chaos/brokers.toml "
                             f"server_settings): add them to the profile")
        return make(name=name, port=port, durability=durability, workdir=workdir, log_path=log_path, role=role,
                    **{s: settings[s] for s in kind.server_settings})

    @abc.abstractmethod
    def redis(self, *, name: str, port: int, durability: str, workdir: Path, log_path: Path,
              role: str = "broker") -> Server:
        """A Redis server on 127.0.0.1:``port`` with the options of ``durability`` (chaos/brokers.toml)."""

    @abc.abstractmethod
    def python(self, *, name: str, role: str, argv: list[str], env: dict, cwd: Path, log_path: Path,
               ready: "object") -> Server:
        """A Python process of ours (target app or worker) with a readiness probe."""

    def process_running(self, pid: int) -> bool:
        """Whether process ``pid`` of a server of this driver still runs (a zombie has exited). The
        Python servers of every driver are processes of this machine (InfraDriver.python)."""
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False

    def close(self) -> None:
        """Release driver-level resources (connections); servers are stopped by their owners."""
