"""The docker infra driver: the brokers (Redis, RabbitMQ) in containers, hurt through the Docker Engine API.

Only the broker kinds run in containers for now: ``python(...)`` (the target app and the workers)
delegates to the process driver, so ``Deployment(profile, DockerDriver(), directory)`` runs a whole
profile with its broker in Docker and our own Python processes beside it. A RabbitMQ node runs with
the files and environment of the process driver's (:func:`chaos.infra.rabbitmq.node_files`), from
:mod:`chaos.infra.rabbitmq_image`. The container runs ``redis-server`` with the
very options of :func:`chaos.infra.process.redis_argv` (``--dir /data``), with host networking on the
127.0.0.1 port chosen at run time, and ``workdir`` bind-mounted at ``/data`` — so every persistence
mode keeps or loses data exactly as a real server does. Faults map to the Engine API: ``stop`` is
``docker stop`` (SIGTERM, SIGKILL after the deadline), ``kill`` is SIGKILL, then ``start`` starts the
same container on the same data; ``pause`` is the cgroup freezer (``docker pause``).

Cleanup. Every container carries the labels ``taskchaos.run`` (the run id: ``TASKCHAOS_RUN_ID`` or
one per driver), ``taskchaos.driver`` (this driver instance), ``taskchaos.owner-pid`` (the harness's
pid, with its start time and host). ``close()`` removes the driver's containers; at interpreter exit
(also after Ctrl-C) every driver still open is closed; and every new driver first sweeps away the
containers of harnesses that are gone (killed -9, crashed), whose owner pid is no longer alive.

The image is chosen by :mod:`chaos.infra.images` (``TASKCHAOS_REDIS_IMAGE``, pulled, or built
locally from the host's redis-server when no registry answers).
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shlex
import signal
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import docker
import docker.errors

from chaos.infra.base import InfraDriver, InfraError, Server
from chaos.infra.listeners import listener_pids
from chaos.infra.images import IMAGE_PATH, redis_image
from chaos.infra.process import READY_DEADLINE_S, STOP_DEADLINE_S, ProcessDriver, redis_argv
from chaos.infra.readiness import RedisPing, wait_ready

RUN_LABEL = "taskchaos.run"
DRIVER_LABEL = "taskchaos.driver"
OWNER_LABEL = "taskchaos.owner-pid"
OWNER_START_LABEL = "taskchaos.owner-start"  # the owner's start time (clock ticks), against pid reuse
OWNER_HOST_LABEL = "taskchaos.owner-host"
ROLE_LABEL = "taskchaos.role"
ENABLE_HINT = ("start one with `.ci/docker-daemon.sh start` (as root; it installs docker.io if needed), "
               "or point DOCKER_HOST at a daemon")
API_TIMEOUT_S = 30

_LIVE: set["DockerDriver"] = set()


# -- the daemon -----------------------------------------------------------------------------------------

def daemon_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect() -> docker.DockerClient:
    """A client of a daemon that answers, or InfraError saying how to get one."""
    try:
        client = docker.from_env(timeout=API_TIMEOUT_S)
        client.ping()
    except docker.errors.DockerException as exc:
        raise InfraError(f"no Docker daemon answers at {daemon_address()} ({exc}); {ENABLE_HINT}") from None
    except Exception as exc:  # requests' connection errors when the socket exists but nobody listens
        raise InfraError(f"no Docker daemon answers at {daemon_address()} ({type(exc).__name__}: {exc}); "
                         f"{ENABLE_HINT}") from None
    return client


def daemon_unavailable() -> str | None:
    """Why the docker driver cannot run here (None: a daemon answers)."""
    try:
        connect().close()
    except InfraError as exc:
        return str(exc)
    return None


# -- owners and the sweep -----------------------------------------------------------------------------

def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_ticks(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def owner_labels() -> dict[str, str]:
    pid = os.getpid()
    return {OWNER_LABEL: str(pid), OWNER_START_LABEL: _start_ticks(pid) or "", OWNER_HOST_LABEL: socket.gethostname()}


def owner_alive(labels: dict[str, str]) -> bool:
    """Is the harness that made a container with these labels still running? (Unknown hosts: yes.)"""
    if labels.get(OWNER_HOST_LABEL, socket.gethostname()) != socket.gethostname():
        return True  # another machine's harness on a shared daemon: not ours to judge
    try:
        pid = int(labels.get(OWNER_LABEL, ""))
    except ValueError:
        return False
    fields = _proc_stat(pid)
    if fields is None or fields[0] == "Z":
        return False
    recorded = labels.get(OWNER_START_LABEL)
    return not recorded or recorded == fields[19]  # same pid, other process: the owner is gone


def _remove(container) -> bool:
    try:
        container.remove(force=True, v=True)
        return True
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # "removal already in progress" (a concurrent sweep)
            return False
        raise


def sweep(client, *, say=None) -> list[str]:
    """Remove every taskchaos container whose owner process is gone; return their names."""
    removed = []
    # ignore_removed: another harness's driver may remove its container between the daemon's list and
    # the inspect of each entry (seen with 6 parallel cells: a 404 crashed a cell before it started)
    for container in client.containers.list(all=True, filters={"label": OWNER_LABEL}, ignore_removed=True):
        if owner_alive(container.labels):
            continue
        if _remove(container):
            removed.append(container.name)
    if removed and say:
        say(f"removed {len(removed)} container(s) left by taskchaos runs that are gone: {', '.join(removed)}")
    return removed


def _say(message: str) -> None:
    print(f"taskchaos: {message}", file=sys.stderr, flush=True)


# -- logs -----------------------------------------------------------------------------------------------

def _timestamp(line: str) -> datetime:
    try:
        return datetime.fromisoformat(line.split(" ", 1)[0])
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def merge_log(events: list[tuple[datetime, str]], container_log: str) -> str:
    """The container's timestamped log lines with our own events (start, stop, kill…) in time order."""
    lines = [(_timestamp(line), line) for line in container_log.splitlines() if line]
    lines += [(when, f"{when.isoformat().replace('+00:00', 'Z')} === taskchaos: {text} ===") for when, text in events]
    lines.sort(key=lambda pair: pair[0])
    return "".join(line + "\n" for _, line in lines)


# -- the server -----------------------------------------------------------------------------------------

class DockerServer(Server):
    """One server alone in one container (``program``: what it runs, for messages), created on the first
    start and started again after stop or kill: ``argv`` from ``image`` (a function of the Docker client),
    ``workdir`` bind-mounted at ``mount_at``, with host networking and the harness's user."""

    def __init__(self, driver: "DockerDriver", *, name: str, port: int, workdir: Path, log_path: Path, role: str,
                 program: str, image, argv: list[str], ready, mount_at: str, environment: dict | None = None,
                 ready_deadline_s: float = READY_DEADLINE_S, stop_deadline_s: float = STOP_DEADLINE_S):
        self.driver = driver
        self.name, self.role, self.program = name, role, program
        self.port = port
        self.workdir = Path(workdir).resolve()
        self.log_path = Path(log_path)
        self.argv, self.ready, self._image, self.mount_at = argv, ready, image, mount_at
        self.environment = dict(environment or {})
        self.ready_deadline_s, self.stop_deadline_s = ready_deadline_s, stop_deadline_s
        self.container_name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"taskchaos-{driver.run_id}-{name}-{port}")
        self.container_id: str | None = None
        self.image: str | None = None
        self.pids: list[int] = []  # every host pid the container's server has had, for the report
        self._events: list[tuple[datetime, str]] = []
        self._archived_log = ""  # logs of a container removed before this one

    # -- the container ------------------------------------------------------------------------------
    @property
    def _client(self):
        return self.driver.client

    def _container(self):
        if self.container_id is None:
            return None
        try:
            return self._client.containers.get(self.container_id)
        except docker.errors.NotFound:
            self.container_id = None
            return None

    def _state(self) -> dict:
        container = self._container()
        return (container.attrs.get("State") or {}) if container else {}

    def _create(self):
        self.image = self._image(self._client)
        self.workdir.mkdir(parents=True, exist_ok=True)
        labels = {RUN_LABEL: self.driver.run_id, DRIVER_LABEL: self.driver.instance_id, ROLE_LABEL: self.role,
                  **owner_labels()}
        try:
            container = self._client.containers.create(
                self.image, entrypoint=[self.argv[0]], command=self.argv[1:], name=self.container_name,
                labels=labels, network_mode="host", user=f"{os.getuid()}:{os.getgid()}",
                volumes={str(self.workdir): {"bind": self.mount_at, "mode": "rw"}}, working_dir=self.mount_at,
                environment=self.environment, stop_signal="SIGTERM", detach=True)
        except docker.errors.APIError as exc:
            raise InfraError(f"cannot create container {self.container_name} from {self.image}: "
                             f"{exc.explanation or exc}") from None
        self.container_id = container.id
        return container

    def _event(self, text: str) -> None:
        self._events.append((datetime.now(timezone.utc), text))

    def sync_logs(self) -> None:
        """Copy the container's log, with our events, into ``log_path`` (what the report shows)."""
        container = self._container()
        text = ""
        if container is not None:
            try:
                text = container.logs(timestamps=True).decode(errors="replace")
            except docker.errors.APIError:
                pass
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text(self._archived_log + merge_log(self._events, text))

    def _where(self) -> str:
        return f"container {self.container_name}" + (f" ({self.container_id[:12]})" if self.container_id else "")

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        container = self._container()
        if container is not None and container.attrs["State"].get("Running"):
            raise InfraError(f"{self.name} is already running ({self._where()})")
        if container is None:
            container = self._create()
        self._event(f"starting {self.name} in {self._where()} from {self.image}: {shlex.join(self.argv)}")
        try:
            container.start()
        except docker.errors.APIError as exc:
            self.sync_logs()
            raise InfraError(f"cannot start {self.name} ({self._where()}): {exc.explanation or exc}; "
                             f"see its log: {self.log_path}") from None
        pid = self._state().get("Pid")
        if pid:
            self.pids.append(pid)
        try:
            wait_ready(self.ready, what=f"{self.name} ({self._where()})", deadline_s=self.ready_deadline_s,
                       log_path=self.log_path, alive=self.is_alive)
        except InfraError as exc:
            self.kill()  # also copies its log
            raise InfraError(f"{exc} (or `docker logs {self.container_name}` while the container exists)") from None

    def stop(self, grace_s: float | None = None) -> dict:
        grace = int(self.stop_deadline_s if grace_s is None else grace_s)  # docker stop -t takes whole seconds
        evidence = {"signal": "SIGTERM", "grace_s": grace, "exited_within_grace": True, "waited_s": 0.0}
        container = self._container()
        if container is None:
            return {**evidence, "note": "not running"}
        state = container.attrs["State"]
        if state.get("Running"):
            if state.get("Paused"):
                container.unpause()
            self._event(f"stopping {self.name} (docker stop, SIGTERM, SIGKILL after {grace} s)")
            start = time.monotonic()
            try:
                container.stop(timeout=grace)
            except docker.errors.APIError as exc:
                self.sync_logs()
                raise InfraError(f"cannot stop {self.name} ({self._where()}): {exc.explanation or exc}; "
                                 f"see its log: {self.log_path}") from None
            code = self._state().get("ExitCode")
            evidence.update(waited_s=round(time.monotonic() - start, 3), exit_code=code,
                            exited_within_grace=code != 128 + 9)  # 137: the SIGKILL that follows the grace
            self._event(f"stopped {self.name}: exit code {code}")
        self.sync_logs()
        return evidence

    def kill(self) -> None:
        # The signal docker kill sends, sent at once to the pid recorded at start (when this host sees it
        # in the container's cgroup): the Engine API takes 0.2-2.5 s to deliver it on a busy machine,
        # long enough for RabbitMQ to write to disk the messages that a kill right after their publish
        # loses (seen: the docker twin of kill-broker held where the process twin lost).
        pid = self.pids[-1] if self.pids else None
        sent = bool(self.container_id) and self._host_sees(pid, self.container_id)
        if sent:
            self._event(f"killing {self.name} (SIGKILL to its host pid {pid}, then docker kill)")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        container = self._container()
        if container is None:
            return
        if container.attrs["State"].get("Running"):
            if not sent:
                self._event(f"killing {self.name} (SIGKILL)")
            try:
                container.kill(signal="SIGKILL")
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # 409: it stopped on its own meanwhile (or by our signal)
                    raise InfraError(f"cannot kill {self.name} ({self._where()}): {exc.explanation or exc}") from None
            container.wait(timeout=API_TIMEOUT_S)
        self.sync_logs()

    @staticmethod
    def _host_sees(pid: int | None, container_id: str) -> bool:
        """Whether host pid ``pid`` is this container's process here (a local daemon: its cgroup names
        the container), so that a signal may go to it straight."""
        if not pid:
            return False
        try:
            return container_id in Path(f"/proc/{pid}/cgroup").read_text()
        except OSError:
            return False

    def pause(self) -> None:
        self._require_alive("pause")
        if not self.is_paused():
            self._container().pause()
            self._event(f"paused {self.name} (docker pause)")

    def resume(self) -> None:
        container = self._container()
        if container is not None and container.attrs["State"].get("Paused"):
            container.unpause()
            self._event(f"resumed {self.name} (docker unpause)")

    def owns(self, pid: int) -> bool:
        return False  # the container runs its server alone: no task body runs in it

    def listens_on(self, port: int) -> bool:
        """One of the container's own processes holds the listener (host networking: the host sees it)."""
        return bool(self.container_id) and any(self._host_sees(pid, self.container_id) for pid in listener_pids(port))

    def processes(self) -> set[int]:
        """The host pids of the container's processes (a local daemon: those whose cgroup names it)."""
        if not self.container_id:
            return set()
        return {int(e) for e in os.listdir("/proc") if e.isdigit() and self._host_sees(int(e), self.container_id)}

    def kill_descendant(self, pid: int) -> None:
        raise InfraError(f"{self.name} ({self._where()}) runs {self.program} alone: killing a child process is "
                         f"not applicable to it (pid {pid}); use kill")

    def remove(self) -> None:
        """Remove the container (its log is copied first); the data in ``workdir`` stays."""
        container = self._container()
        if container is None:
            return
        self._event(f"removing {self._where()}")
        self.sync_logs()
        _remove(container)
        self.container_id = None
        self._archived_log, self._events = self.log_path.read_text(), []

    def _require_alive(self, action: str) -> None:
        if not self.is_alive():
            raise InfraError(f"cannot {action} {self.name}: it is not running ({self._where()}); "
                             f"see its log: {self.log_path}")

    # -- state ----------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The host pid of the container's server: the running one, else the last it had (as the process driver)."""
        return self._state().get("Pid") or (self.pids[-1] if self.pids else None)

    def is_alive(self) -> bool:
        return bool(self._state().get("Running"))

    def is_paused(self) -> bool:
        return bool(self._state().get("Paused"))

    def describe(self) -> dict:
        state = self._state()
        running = bool(state.get("Running"))
        if self.container_id:
            self.sync_logs()
        return {"name": self.name, "role": self.role, "driver": "docker", "container": self.container_id,
                "container_name": self.container_name, "image": self.image, "run": self.driver.run_id,
                "pid": state.get("Pid") or (self.pids[-1] if self.pids else None), "pids": self.pids,
                "exit_code": None if running or not state else state.get("ExitCode"),
                "paused": bool(state.get("Paused")), "argv": self.argv, "data": str(self.workdir),
                "log": str(self.log_path)}


class DockerRedisServer(DockerServer):
    """Redis in a container: the options of :func:`chaos.infra.process.redis_argv`, data at /data."""

    def __init__(self, driver: "DockerDriver", *, name: str, port: int, persistence: str, workdir: Path,
                 log_path: Path, role: str = "broker", **deadlines):
        self.persistence = persistence
        super().__init__(driver, name=name, port=port, workdir=workdir, log_path=log_path, role=role,
                         program="redis-server", image=redis_image, ready=RedisPing(port), mount_at="/data",
                         environment={"PATH": IMAGE_PATH},
                         argv=redis_argv("redis-server", port, persistence, Path("/data")), **deadlines)


# -- the driver -----------------------------------------------------------------------------------------

class DockerDriver(InfraDriver):
    """The brokers in containers; the target app and the workers as local processes (the process driver)."""

    name = "docker"

    def __init__(self, *, run_id: str | None = None, client=None, say=_say):
        self.client = client or connect()
        self.instance_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.run_id = run_id or os.environ.get("TASKCHAOS_RUN_ID") or f"{time.strftime('%Y%m%d-%H%M%S')}-{self.instance_id}"
        self.servers: list[DockerServer] = []
        self._process = ProcessDriver()
        self.swept = sweep(self.client, say=say)
        _LIVE.add(self)

    def redis(self, *, name: str, port: int, durability: str, workdir: Path, log_path: Path,
              role: str = "broker") -> Server:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        server = DockerRedisServer(self, name=name, port=port, persistence=durability, workdir=workdir,
                                   log_path=log_path, role=role)
        self.servers.append(server)
        return server

    def rabbitmq(self, *, name: str, port: int, durability: str, workdir: Path, log_path: Path, role: str = "broker",
                 consumer_timeout_ms: int) -> Server:
        """A RabbitMQ node in a container, from the files and environment the process driver gives one
        (chaos.infra.rabbitmq.node_files), its working directory mounted at the same path; the node
        starts its own epmd inside the container (a kill of the container takes it too)."""
        from chaos.infra.rabbitmq import READY_DEADLINE_S as RABBITMQ_READY_S, STOP_DEADLINE_S as RABBITMQ_STOP_S
        from chaos.infra.rabbitmq import AmqpOpen, node_files
        from chaos.infra.rabbitmq_image import rabbitmq_image

        node = node_files(port=port, workdir=workdir, consumer_timeout_ms=consumer_timeout_ms)
        env = {k: v for k, v in node.env.items() if k != "PATH"}  # the image's PATH finds rabbitmq-server
        server = DockerServer(self, name=name, port=port, workdir=node.workdir, log_path=log_path, role=role,
                              program="rabbitmq-server", image=rabbitmq_image, argv=["rabbitmq-server"],
                              ready=AmqpOpen(port), mount_at=str(node.workdir), environment=env,
                              ready_deadline_s=RABBITMQ_READY_S, stop_deadline_s=RABBITMQ_STOP_S)
        server.node = node
        self.servers.append(server)
        return server

    def python(self, *, name: str, role: str, argv: list[str], env: dict, cwd: Path, log_path: Path, ready) -> Server:
        return self._process.python(name=name, role=role, argv=argv, env=env, cwd=cwd, log_path=log_path, ready=ready)

    def containers(self) -> list:
        """This driver's containers, as the daemon lists them (also any whose server object was lost)."""
        return self.client.containers.list(all=True, filters={"label": f"{DRIVER_LABEL}={self.instance_id}"},
                                           ignore_removed=True)

    def close(self) -> None:
        """Remove this driver's containers (logs copied first); then release the client."""
        if self not in _LIVE:
            return
        _LIVE.discard(self)
        errors = []
        for server in self.servers:
            try:
                server.remove()
            except Exception as exc:  # keep removing the others
                errors.append(f"{server.name}: {exc}")
        try:
            for container in self.containers():
                _remove(container)
        except Exception as exc:
            errors.append(str(exc))
        self.client.close()
        if errors:
            raise InfraError(f"docker driver {self.instance_id}: could not remove every container: {'; '.join(errors)}")


def remove_all() -> None:
    """Close every docker driver still open in this process (tests' teardown, Ctrl-C, interpreter exit)."""
    for driver in list(_LIVE):
        try:
            driver.close()
        except Exception as exc:  # keep closing the others
            _say(f"cleanup: {exc}")


atexit.register(remove_all)
