"""RabbitMQ under the process driver: a real node, started, killed, stopped, paused — on loopback only,
recovering its durable queues, and leaving nothing running.

One node serves the module (a start costs seconds); a test that stops it leaves it for the next test
to start again (``node``), and every queue a test declares is deleted by that test.
"""

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import amqp
import pytest

from chaos.infra.base import InfraError
from chaos.infra.listeners import listener_pids
from chaos.infra.ports import free_port
from chaos.infra import rabbitmq
from chaos.infra.process import session_members
from chaos.infra.rabbitmq import AmqpOpen, rabbitmq_server, rabbitmq_unavailable
from tests.helpers import wait_for

DEFAULT_PORTS = {4369, 5672, 25672}  # epmd, AMQP, Erlang distribution: a node of ours uses none
LISTEN = "0A"


def _address(hex_address: str) -> str:
    """An address of /proc/net/tcp{,6}: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, swapped)


def listening_sockets() -> dict[str, tuple[str, int]]:
    """Every listening TCP socket on the machine: inode -> (address, port)."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN:
                address, port = fields[1].rsplit(":", 1)
                sockets[fields[9]] = (_address(address), int(port, 16))
    return sockets


def listeners_of(pids) -> set[tuple[str, str, int]]:
    """(program, address, port) of every listening socket that one of ``pids`` holds."""
    sockets = listening_sockets()
    found = set()
    for pid in pids:
        program = Path(f"/proc/{pid}/comm").read_text().strip()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in sockets:
                found.add((program, *sockets[target[8:-1]]))
    return found


def snapshot(server) -> dict[int, tuple[int, str]]:
    """The node's processes now: pid -> (session id, start time)."""
    table = rabbitmq._process_table()
    return {pid: (table[pid][1], start) for pid, start in server.family().items() if pid in table}


def assert_all_gone(family: dict[int, tuple[int, str]]) -> None:
    """No process of a :func:`snapshot` runs any more, and each of their sessions is empty."""
    table = rabbitmq._process_table()
    assert [pid for pid, (_, start) in family.items() if pid in table and table[pid][2] == start] == []
    for sid in {sid for sid, _ in family.values()}:
        assert session_members(sid) == []


def states(pids) -> set[str]:
    return {Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] for pid in pids}


def connect(server) -> amqp.Connection:
    connection = amqp.Connection(f"127.0.0.1:{server.amqp_port}", confirm_publish=True, connect_timeout=5)
    connection.connect()
    return connection


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory):
    if why := rabbitmq_unavailable():
        pytest.skip(why)
    root = tmp_path_factory.mktemp("rabbitmq")
    default_epmd_before = listener_pids(4369)
    server = rabbitmq_server(name="rabbitmq", port=free_port(), workdir=root / "node", log_path=root / "rabbitmq.log")
    server.start()
    yield server, default_epmd_before
    family = snapshot(server)
    server.kill()
    assert_all_gone(family)


@pytest.fixture
def node(rabbit):
    server, _ = rabbit
    if not server.is_alive():
        server.start()
    return server


def test_node_answers_amqp_as_rabbitmq(node):
    assert AmqpOpen(node.amqp_port)()
    connection = connect(node)
    try:
        assert connection.server_properties["product"] == "RabbitMQ"
        assert connection.server_properties["version"].startswith("3.")
    finally:
        connection.close()
    assert node.listens_on(node.amqp_port)
    assert node.describe()["nodename"] == f"taskchaos-{node.amqp_port}@localhost"


def test_every_listener_of_the_node_is_on_loopback(node, rabbit):
    _, default_epmd_before = rabbit
    family = node.family()
    programs = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in family}
    assert {"beam.smp", "epmd", "erl_child_setup"} <= programs
    listeners = listeners_of(family)
    # epmd always adds ::1 beside 127.0.0.1 (erts/epmd/src/epmd_srv.c "Always listen on the loopback"):
    # the one listener not on 127.0.0.1, loopback too.
    assert listeners == {("beam.smp", "127.0.0.1", node.amqp_port), ("beam.smp", "127.0.0.1", node.dist_port),
                         ("epmd", "127.0.0.1", node.epmd_port), ("epmd", "::1", node.epmd_port)}
    assert {port for _, _, port in listeners}.isdisjoint(DEFAULT_PORTS)
    assert listener_pids(4369) <= default_epmd_before  # no epmd was started on the default port


def node_env(server, tmp_path, keys: list[tuple[str, str]]) -> list[str]:
    """Application settings read inside the running node (each as Erlang prints it), over Erlang
    distribution from a hidden node of our own: loopback only, on the node's epmd (it starts none)."""
    cookie = (server.cwd / "home" / ".erlang.cookie").read_text()
    calls = ", ".join(f"rpc:call('{server.nodename}', application, get_env, [{app}, {key}])" for app, key in keys)
    show = f'[io:format("~ts~n", [io_lib:print(V, 1, 100000, -1)]) || V <- [{calls}]], halt().'
    argv = [shutil.which("erl"), "-sname", f"taskchaos-probe-{os.getpid()}@localhost", "-hidden", "-noshell",
            "-start_epmd", "false", "-setcookie", cookie, "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
            "-eval", show]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ERL_EPMD_PORT": str(server.epmd_port)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()


def test_node_runs_with_the_configured_settings(node, tmp_path):
    assert node_env(node, tmp_path, [("rabbit", "consumer_timeout"), ("rabbit", "tcp_listeners"),
                                     ("kernel", "inet_dist_use_interface"), ("kernel", "inet_dist_listen_min"),
                                     ("kernel", "inet_dist_listen_max"), ("rabbit", "enabled_plugins_file")]) == [
        f"{{ok,{rabbitmq.CONSUMER_TIMEOUT_MS}}}",
        f'{{ok,[{{"127.0.0.1",{node.amqp_port}}}]}}',
        "{ok,{127,0,0,1}}",
        f"{{ok,{node.dist_port}}}",
        f"{{ok,{node.dist_port}}}",
        f'{{ok,"{node.cwd / "enabled_plugins"}"}}',
    ]


def test_durable_persistent_message_survives_kill_and_transient_one_does_not(node):
    durable, transient = f"taskchaos-durable-{uuid.uuid4().hex}", f"taskchaos-transient-{uuid.uuid4().hex}"
    connection = connect(node)
    connection.channel().queue_declare(durable, durable=True, auto_delete=False)
    connection.close()
    # A graceful restart first, so that the queue itself is on disk: the declare-ok is no promise that
    # it is (seen once in a CI run: the durable queue declared just before the kill was gone after it).
    node.stop()
    node.start()
    connection = connect(node)
    channel = connection.channel()
    channel.queue_declare(transient, durable=False, auto_delete=False)
    # confirm_publish: basic_publish returns once the broker has the message (on disk, for a persistent one)
    channel.basic_publish(amqp.Message(b"kept", delivery_mode=2), routing_key=durable)
    channel.basic_publish(amqp.Message(b"lost", delivery_mode=1), routing_key=transient)
    family = snapshot(node)
    assert len({sid for sid, _ in family.values()}) >= 2  # erl_child_setup has a session of its own
    node.kill()  # the client's connection dies with the node
    assert not node.is_alive()
    assert_all_gone(family)

    node.start()  # same data dir: the node recovers its durable queues
    connection = connect(node)
    try:
        channel = connection.channel()
        assert channel.queue_declare(durable, passive=True).message_count == 1
        message = channel.basic_get(durable, no_ack=True)
        assert message.body == b"kept" and message.properties["delivery_mode"] == 2
        with pytest.raises(amqp.exceptions.NotFound):  # a non-durable queue does not survive a restart
            channel.queue_declare(transient, passive=True)
        channel = connection.channel()  # NotFound closed the previous one
        channel.queue_delete(durable)
    finally:
        connection.close()


def test_paused_node_answers_nothing_until_resumed(node):
    node.pause()
    try:
        assert node.is_paused()
        family = node.family()
        assert wait_for(lambda: states(family) == {"T"}, deadline_s=5)  # SIGSTOP lands asynchronously
        assert not AmqpOpen(node.amqp_port)()  # the kernel accepts the TCP connection; nobody answers
    finally:
        node.resume()
    assert wait_for(AmqpOpen(node.amqp_port), deadline_s=30)


def test_stop_is_graceful_and_leaves_nothing(node):
    family = snapshot(node)
    node.stop()
    assert node.proc.returncode == 0  # beam.smp stopped by itself on SIGTERM, not by the SIGKILL fallback
    assert "SIGTERM received - shutting down" in node.log_path.read_text(errors="replace")
    assert_all_gone(family)


def test_missing_rabbitmq_server_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(rabbitmq, "SCRIPT_CANDIDATES", ("/nonexistent/rabbitmq-server",))
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(InfraError, match="rabbitmq-server not found: install it with apt-get install "
                                         "rabbitmq-server, or pass --infra docker"):
        rabbitmq.find_rabbitmq_server()
    assert rabbitmq_unavailable() == rabbitmq.INSTALL_HINT


def test_config_sets_consumer_timeout_and_loopback_listener():
    conf = rabbitmq.rabbitmq_conf(15000, 60_000)
    assert "consumer_timeout = 60000" in conf.splitlines()
    assert "listeners.tcp.default = 127.0.0.1:15000" in conf.splitlines()
    assert f"consumer_timeout = {rabbitmq.CONSUMER_TIMEOUT_MS}" in rabbitmq.rabbitmq_conf(1, rabbitmq.CONSUMER_TIMEOUT_MS)
