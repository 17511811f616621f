"""RabbitMQ as a server of the process infra driver: one node per deployment, entirely on loopback.

A node is Debian's (or a generic-unix) ``rabbitmq-server`` script run as a :class:`ProcessServer`
(:class:`RabbitMQServer`), so stop, kill, pause and resume signal all its processes: ``beam.smp``,
the node's own ``epmd``, and ``erl_child_setup`` and ``inet_gethost``, which Erlang puts in sessions
of their own (see :class:`RabbitMQServer`). Everything the node reads or writes is inside the
caller's working directory: ``rabbitmq.conf``, ``advanced.config`` (the firehose on: ``ADVANCED_CONFIG``),
``enabled_plugins`` (empty: no management listener, no plugin at all), an empty ``rabbitmq-env.conf``
(so ``/etc/rabbitmq``'s is not sourced), ``mnesia/`` (the data: durable queues and persistent messages survive a kill -9 there),
``log/``, ``launch.py`` (below) and ``home/.erlang.cookie`` (mode 600; Erlang reads the cookie from ``$HOME``).

Every listener is on loopback, on ports chosen at run time: AMQP (``RABBITMQ_NODE_IP_ADDRESS`` /
``RABBITMQ_NODE_PORT``), Erlang distribution (``RABBITMQ_DIST_PORT``, pinned with
``inet_dist_listen_min = max`` and bound to ``inet_dist_use_interface {127,0,0,1}``) and epmd
(``ERL_EPMD_PORT``, ``ERL_EPMD_ADDRESS=127.0.0.1``). epmd always adds ``::1`` beside 127.0.0.1 when
the machine has IPv6 (erts/epmd/src/epmd_srv.c: "Always listen on the loopback"); that twin is
loopback too, and the only listener not on 127.0.0.1.

Why epmd is started by us: ``erl`` starts a missing epmd with ``epmd -daemon``, which calls
``setsid()`` and so leaves the node's session — a kill of the session would leave it running. So the
server's command is a small launcher (``_LAUNCHER``) that starts epmd in the foreground, waits (with a
deadline) until it accepts connections, then ``exec``s ``rabbitmq-server``: epmd is the node's child,
in its session, and the node finds it running and starts none.

Why ``RABBITMQ_ALLOW_INPUT=false``: without it the script forks ``erl`` and waits, so the session
leader (the pid that gets ``PR_SET_PDEATHSIG``) is a shell and ``beam.smp`` outlives a harness killed
by -9. Any non-empty value makes the script ``exec erl`` (leader = ``beam.smp``, which stops gracefully
on SIGTERM); "false" keeps rabbit's own "interactive shell" off, and ``-noinput`` / ``+B i`` are the
flags the script would otherwise add itself.

Debian's ``/usr/sbin/rabbitmq-server`` is a wrapper that ``su``s to the ``rabbitmq`` user when run as
root (and writes to ``/var/log/rabbitmq``); we run ``/usr/lib/rabbitmq/bin/rabbitmq-server`` directly,
as the harness's user.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chaos.infra.base import InfraError
from chaos.infra.ports import free_port
from chaos.infra.process import ProcessServer

CONSUMER_TIMEOUT_MS = 1_800_000  # RabbitMQ's own default (30 min): a delivery unacked longer closes the channel
READY_DEADLINE_S = 60.0  # a cold start takes seconds; recovery after a kill -9 a little longer
STOP_DEADLINE_S = 20.0  # a graceful stop closes connections and syncs queues
EPMD_DEADLINE_S = 10.0
SWEEP_DEADLINE_S = 5.0
USER, PASSWORD = "guest", "guest"  # RabbitMQ's default user, allowed from loopback only (loopback_users)
# The firehose on for vhost "/" from boot: every routed publish is copied to amq.rabbitmq.trace, which
# is how the broker faults learn that the node has what the app acknowledged (chaos/infra/receipts.py).
# The copies go nowhere but the receipts queue the harness binds; the app's queues are untouched.
ADVANCED_CONFIG = '[{rabbit, [{trace_vhosts, [<<"/">>]}]}].\n'
INSTALL_HINT = "rabbitmq-server not found: install it with apt-get install rabbitmq-server, or pass --infra docker"

# Debian/Ubuntu's real script (/usr/sbin's is the su wrapper), then a generic-unix or Homebrew install.
SCRIPT_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/local/sbin/rabbitmq-server",
                     "/opt/homebrew/sbin/rabbitmq-server")
DEBIAN_WRAPPER = "rabbitmq-script-wrapper"
INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")

# Written to ``launch.py`` in the working directory and run as ``python -I -S launch.py EPMD_PORT EPMD
# ARGV...``: stdlib only, no site, no chaos import.
_LAUNCHER = r"""
import ctypes, os, signal, socket, subprocess, sys, time
port, epmd, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def die_with_parent():  # the parent is this process, which becomes beam.smp by exec
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
child = subprocess.Popen([epmd, "-port", str(port), "-address", "127.0.0.1"], stdin=subprocess.DEVNULL,
                         preexec_fn=die_with_parent)
deadline = time.monotonic() + float(os.environ["TASKCHAOS_EPMD_DEADLINE_S"])
while True:  # NAMES_REQ (epmd's protocol: length 1, tag 110); the answer starts with epmd's own port
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
            probe.sendall(b"\x00\x01n")
            if probe.recv(4) == port.to_bytes(4, "big"):
                break
    except OSError:
        pass
    if child.poll() is not None:
        sys.exit(f"taskchaos: epmd on 127.0.0.1:{port} exited with {child.returncode}")
    if time.monotonic() > deadline:
        sys.exit(f"taskchaos: epmd did not answer on 127.0.0.1:{port} in time")
    time.sleep(0.01)
print(f"taskchaos: epmd listens on 127.0.0.1:{port} (pid {child.pid}); exec {argv[0]}", flush=True)
os.execv(argv[0], argv)
"""


def find_rabbitmq_server() -> str:
    """The ``rabbitmq-server`` script to run (never Debian's ``su`` wrapper)."""
    for candidate in SCRIPT_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("rabbitmq-server")
    if on_path and not os.path.realpath(on_path).endswith(DEBIAN_WRAPPER):
        return on_path
    raise InfraError(INSTALL_HINT)


def find_epmd() -> str:
    on_path = shutil.which("epmd")
    if on_path:
        return on_path
    for erts in sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"), reverse=True):
        return str(erts)
    raise InfraError("epmd not found: it comes with Erlang (apt-get install erlang-base); "
                     "rabbitmq-server needs it, or pass --infra docker")


def rabbitmq_unavailable() -> str | None:
    """Why a RabbitMQ node cannot run here (None: it can) — the install hint, for a skip or an error."""
    try:
        find_rabbitmq_server()
        find_epmd()
    except InfraError as exc:
        return str(exc)
    return None


class AmqpOpen:
    """An AMQP 0-9-1 connection opens and closes: protocol header, Start/StartOk (login), Tune, Open of
    vhost "/". RabbitMQ opens its listener only at the end of boot, so this passes once it serves."""

    def __init__(self, port: int, *, user: str = USER, password: str = PASSWORD):
        self.port, self.user, self.password = port, user, password

    def __call__(self) -> bool:
        import amqp  # py-amqp (kombu's transport); imported only when a RabbitMQ node is probed

        connection = amqp.Connection(f"127.0.0.1:{self.port}", userid=self.user, password=self.password,
                                     connect_timeout=1, read_timeout=2, write_timeout=2)
        try:
            connection.connect()
            return True
        except (OSError, amqp.exceptions.AMQPError):
            return False
        finally:
            try:
                connection.close()
            except (OSError, amqp.exceptions.AMQPError, AttributeError):
                pass

    def __str__(self) -> str:
        return f"an AMQP connection to 127.0.0.1:{self.port}"


def rabbitmq_conf(port: int, consumer_timeout_ms: int) -> str:
    """The whole config (the listener agrees with RABBITMQ_NODE_IP_ADDRESS / RABBITMQ_NODE_PORT)."""
    return "\n".join([
        "# written by taskchaos (chaos/infra/rabbitmq.py); the node reads no other config",
        f"listeners.tcp.default = 127.0.0.1:{port}",
        f"consumer_timeout = {consumer_timeout_ms}",
        "loopback_users.guest = true",
        "# RabbitMQ's defaults, explicit: past these the broker blocks publishers (memory, disk alarms)",
        "vm_memory_high_watermark.relative = 0.4",
        "disk_free_limit.absolute = 50MB",
        "",
    ])


def _process_table() -> dict[int, tuple[int, int, str]]:
    """Every live (not zombie) process: pid -> (ppid, session id, start time in clock ticks)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), int(fields[3]), fields[19])
    return table


class RabbitMQServer(ProcessServer):
    """A RabbitMQ node: a :class:`ProcessServer` that knows its ports and its node name.

    Its processes are more than its session: ``beam.smp`` forks ``erl_child_setup``, which calls
    ``setsid()``, and the port programs it spawns (``inet_gethost``) get sessions of their own too. So
    every signal goes to the node's *family* — the session, its descendants and the members of their
    sessions — and stop and kill return only when every process the family had is gone (they would
    exit by themselves once beam.smp is gone, but "gone" must be seen, not assumed)."""

    def __init__(self, *, amqp_port: int, dist_port: int, epmd_port: int, nodename: str, **kwargs):
        super().__init__(**kwargs)
        self.amqp_port, self.dist_port, self.epmd_port, self.nodename = amqp_port, dist_port, epmd_port, nodename
        self._seen: dict[int, str] = {}  # pid -> start time of every family member signalled or stopped

    @property
    def url(self) -> str:
        return f"amqp://{USER}:{PASSWORD}@127.0.0.1:{self.amqp_port}//"

    def family(self) -> dict[int, str]:
        """The node's live processes now: pid -> start time (to tell a reused pid apart)."""
        if self.proc is None:
            return {}
        table = _process_table()
        members = {pid for pid, (_, sid, _) in table.items() if sid == self.proc.pid}
        while True:
            more = {pid for pid, (ppid, sid, _) in table.items() if ppid in members or sid in members} - members
            if not more:
                return {pid: table[pid][2] for pid in members}
            members |= more

    def _remember(self) -> dict[int, str]:
        family = self.family()
        self._seen.update(family)
        return family

    def _signal_group(self, sig: int) -> None:
        for pid in sorted(self._remember(), key=lambda p: p != self.proc.pid):  # the leader first
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _survivors(self) -> list[int]:
        table = _process_table()
        return sorted(pid for pid, start in self._seen.items() if pid in table and table[pid][2] == start)

    def _sweep_group(self) -> None:
        super()._sweep_group()  # the session is empty
        deadline = time.monotonic() + SWEEP_DEADLINE_S
        while survivors := self._survivors():
            for pid in survivors:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise InfraError(f"{self.name}: processes {survivors} survived SIGKILL")
            time.sleep(0.02)
        self._seen.clear()

    def stop(self, grace_s: float | None = None) -> dict:
        self._remember()  # before SIGTERM: once beam.smp is gone its children are orphans, found by pid only
        return super().stop(grace_s)

    def owns(self, pid: int) -> bool:
        return super().owns(pid) or pid in self.family()

    def describe(self) -> dict:
        return {**super().describe(), "nodename": self.nodename,
                "ports": {"amqp": self.amqp_port, "dist": self.dist_port, "epmd": self.epmd_port}}


@dataclass
class NodeFiles:
    """A node's working directory, written, and the environment that starts it there."""

    workdir: Path
    env: dict[str, str]
    nodename: str
    amqp_port: int
    dist_port: int
    epmd_port: int


def node_files(*, port: int, workdir: Path, consumer_timeout_ms: int = CONSUMER_TIMEOUT_MS,
               dist_port: int | None = None, epmd_port: int | None = None) -> NodeFiles:
    """Write a node's files in ``workdir`` (kept across restarts, so a node started again recovers its
    durable queues) and say how to start it: AMQP on 127.0.0.1:``port``; the distribution and epmd
    ports chosen now unless given, the node's for its lifetime. Shared by both infra drivers."""
    dist_port = dist_port or free_port()
    epmd_port = epmd_port or free_port()
    workdir = Path(workdir).resolve()
    nodename = f"taskchaos-{port}@localhost"
    home, logs, mnesia = workdir / "home", workdir / "log", workdir / "mnesia"
    for directory in (home, logs, mnesia):
        directory.mkdir(parents=True, exist_ok=True)
    cookie = home / ".erlang.cookie"
    if not cookie.exists():
        cookie.write_text(secrets.token_hex(20).upper())
    cookie.chmod(0o600)  # Erlang refuses a cookie file others can read
    (workdir / "rabbitmq.conf").write_text(rabbitmq_conf(port, consumer_timeout_ms))
    (workdir / "advanced.config").write_text(ADVANCED_CONFIG)
    (workdir / "enabled_plugins").write_text("[].\n")
    (workdir / "rabbitmq-env.conf").write_text("# empty: /etc/rabbitmq/rabbitmq-env.conf is not read\n")
    # Only what the scripts need from ours: the node must not depend on (or log) the harness's environment.
    env = {key: value for key, value in os.environ.items() if key in INHERITED_ENV}
    env.update({
        "HOME": str(home),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODENAME": nodename,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_CONF_ENV_FILE": str(workdir / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(workdir / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(workdir / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(mnesia),
        "RABBITMQ_LOG_BASE": str(logs),
        "RABBITMQ_LOGS": "-",  # the node's log goes to stdout, which is the server's log file
        "RABBITMQ_MOTD_FILE": str(workdir / "motd"),  # absent: no message of the day from /etc
        "RABBITMQ_ALLOW_INPUT": "false",  # non-empty: the script execs erl (see the module docstring)
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": " ".join([
            "-noinput", "+B", "i",
            "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
            "-kernel", "inet_dist_listen_min", str(dist_port),
            "-kernel", "inet_dist_listen_max", str(dist_port),
        ]),
    })
    return NodeFiles(workdir, env, nodename, port, dist_port, epmd_port)


def rabbitmq_server(*, name: str, port: int, workdir: Path, log_path: Path, role: str = "broker",
                    consumer_timeout_ms: int = CONSUMER_TIMEOUT_MS, dist_port: int | None = None,
                    epmd_port: int | None = None) -> RabbitMQServer:
    """A RabbitMQ node run as a local process (:func:`node_files`), its epmd started by our launcher."""
    script, epmd = find_rabbitmq_server(), find_epmd()
    node = node_files(port=port, workdir=workdir, consumer_timeout_ms=consumer_timeout_ms, dist_port=dist_port,
                      epmd_port=epmd_port)
    env = {**node.env, "TASKCHAOS_EPMD_DEADLINE_S": str(EPMD_DEADLINE_S)}
    (node.workdir / "launch.py").write_text(_LAUNCHER.lstrip())
    argv = [sys.executable, "-I", "-S", str(node.workdir / "launch.py"), str(node.epmd_port), epmd, script]
    return RabbitMQServer(name=name, role=role, argv=argv, env=env, cwd=node.workdir, log_path=log_path,
                          ready=AmqpOpen(port), ready_deadline_s=READY_DEADLINE_S, stop_deadline_s=STOP_DEADLINE_S,
                          amqp_port=port, dist_port=node.dist_port, epmd_port=node.epmd_port, nodename=node.nodename)


__all__ = ["AmqpOpen", "CONSUMER_TIMEOUT_MS", "INSTALL_HINT", "NodeFiles", "RabbitMQServer", "find_rabbitmq_server",
           "node_files", "rabbitmq_server", "rabbitmq_unavailable"]
