"""The docker driver: Redis in a real container, started, stopped, killed, paused and restarted through
the Docker Engine API, keeping or losing data per persistence mode; containers always removed (close,
interpreter exit, Ctrl-C) and swept when their harness died. Needs a Docker daemon: the tests that do
are skipped, saying how to start one, only when none answers."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import textwrap
from argparse import Namespace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chaos.infra import get_driver, images
from chaos.infra.base import InfraError
from chaos.infra.docker import (DRIVER_LABEL, OWNER_LABEL, DockerDriver, connect, daemon_unavailable, merge_log,
                                owner_alive, owner_labels)
from chaos.infra.ports import free_port
from tests.helpers import interruptible
from chaos.infra.process import find_redis_server

REPO_ROOT = Path(__file__).resolve().parents[1]
NO_DAEMON = daemon_unavailable()
needs_docker = pytest.mark.skipif(NO_DAEMON is not None, reason=f"docker driver tests need a Docker daemon: {NO_DAEMON}")


def redis_cmd(port: int, command: bytes, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(command)
        return s.recv(1024)


def redis_get(port: int, key: str) -> bytes | None:
    reply = redis_cmd(port, f"GET {key}\r\n".encode())
    return None if reply == b"$-1\r\n" else reply.split(b"\r\n")[1]


def our_containers(client) -> list:
    """Containers this test process owns (any driver)."""
    return client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}={os.getpid()}"})


@pytest.fixture(scope="module")
def client():
    if NO_DAEMON:
        pytest.skip(f"docker driver tests need a Docker daemon: {NO_DAEMON}")
    client = connect()
    yield client
    leftovers = [c.name for c in our_containers(client)]
    client.close()
    assert not leftovers, f"containers outlived the tests: {leftovers}"


@pytest.fixture
def driver(client):
    driver = DockerDriver(run_id=f"test-{os.getpid()}")
    yield driver
    instance = driver.instance_id
    driver.close()
    assert not client.containers.list(all=True, filters={"label": f"{DRIVER_LABEL}={instance}"})


def make_redis(driver, tmp_path, persistence="aof-always", **kw):
    port = free_port()
    server = driver.redis(name="redis", port=port, durability=persistence, workdir=tmp_path / "data",
                          log_path=tmp_path / "logs" / "redis.log")
    for attr, value in kw.items():
        setattr(server, attr, value)
    return server, port


# -- what runs without a daemon -------------------------------------------------------------------------

def test_parse_ldd_keeps_libraries_and_loader_skips_vdso():
    text = textwrap.dedent("""\
        \tlinux-vdso.so.1 (0x00007ffd)
        \tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f2f78320000)
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f2f78714000)
        """)
    assert images.parse_ldd(text) == [Path("/lib/x86_64-linux-gnu/libm.so.6"), Path("/lib64/ld-linux-x86-64.so.2")]
    with pytest.raises(InfraError, match="not installed"):
        images.parse_ldd("\tlibfoo.so.1 => not found\n")


def test_rootfs_holds_redis_server_its_libraries_and_the_loader():
    data, files = images.rootfs_tarball(Path(find_redis_server()))
    names = set(tarfile.open(fileobj=io.BytesIO(data)).getnames())
    assert "usr/bin/redis-server" in names and "data" in names
    assert any("ld-linux" in f for f in files) and any("libc.so" in f for f in files)
    assert {f.lstrip("/") for f in files} <= names


def test_merge_log_puts_our_events_in_time_order():
    events = [(datetime(2026, 1, 1, 0, 0, 1, tzinfo=timezone.utc), "killing redis (SIGKILL)")]
    log = "2026-01-01T00:00:00.5Z ready\n2026-01-01T00:00:02.000000001Z again\n"
    lines = merge_log(events, log).splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["ready", "=== taskchaos: killing redis (SIGKILL) ===", "again"]


def test_owner_alive_tells_a_live_harness_from_a_dead_or_reused_pid():
    assert owner_alive(owner_labels())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert not owner_alive({**owner_labels(), OWNER_LABEL: dead.stdout.strip(), "taskchaos.owner-start": ""})
    assert not owner_alive({**owner_labels(), "taskchaos.owner-start": "1"})  # same pid, another process
    assert owner_alive({**owner_labels(), "taskchaos.owner-host": "elsewhere", OWNER_LABEL: "1"})


def test_docker_is_a_registered_driver():
    from chaos.infra import DRIVERS

    assert DRIVERS["docker"] == "chaos.infra.docker:DockerDriver"


def test_the_process_driver_does_not_load_the_docker_sdk():
    import subprocess
    import sys

    code = "import sys; from chaos.infra import get_driver; get_driver('process'); print('docker' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_no_daemon_names_the_way_to_start_one(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nobody.sock")
    with pytest.raises(InfraError, match=r"\.ci/docker-daemon\.sh start"):
        get_driver("docker")


# -- Redis in a container ---------------------------------------------------------------------------------

# (kept after a graceful stop, kept after kill -9) — as the process driver's expectations.toml says.
PERSISTENCE = {"none": (False, False), "rdb": (True, False), "aof-everysec": (True, True), "aof-always": (True, True)}


@needs_docker
@pytest.mark.parametrize("persistence", PERSISTENCE)
def test_redis_keeps_or_loses_data_per_persistence_mode(driver, tmp_path, persistence):
    kept_on_stop, kept_on_kill = PERSISTENCE[persistence]
    server, port = make_redis(driver, tmp_path, persistence)
    server.start()
    assert redis_cmd(port, b"SET graceful 1\r\n") == b"+OK\r\n"
    server.stop()
    assert not server.is_alive() and server.describe()["exit_code"] == 0
    server.start()
    assert (redis_get(port, "graceful") == b"1") is kept_on_stop
    assert redis_cmd(port, b"SET killed 1\r\n") == b"+OK\r\n"
    server.kill()
    assert not server.is_alive() and server.describe()["exit_code"] == 137
    server.start()
    assert (redis_get(port, "killed") == b"1") is kept_on_kill
    assert (redis_get(port, "graceful") == b"1") is kept_on_stop  # what the stop saved survives the kill


@needs_docker
def test_redis_pause_resume_restart_describe_and_logs(driver, tmp_path):
    server, port = make_redis(driver, tmp_path)
    server.start()
    redis_cmd(port, b"SET k v\r\n")
    server.pause()
    assert server.is_paused() and server.is_alive()
    with pytest.raises(socket.timeout):
        redis_cmd(port, b"PING\r\n", timeout=0.5)
    server.resume()
    assert not server.is_paused() and redis_cmd(port, b"PING\r\n") == b"+PONG\r\n"
    first = server.describe()
    server.restart()
    second = server.describe()
    assert second["container"] == first["container"] and second["pid"] != first["pid"]
    assert second["pids"] == [first["pid"], second["pid"]]
    assert redis_get(port, "k") == b"v"
    with pytest.raises(InfraError, match="not applicable"):
        server.kill_descendant(second["pid"])
    with pytest.raises(InfraError, match="already running"):
        server.start()
    assert second["driver"] == "docker" and second["image"] and second["container_name"].startswith("taskchaos-")
    assert second["argv"][:7] == ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", "/data"]
    log = Path(second["log"]).read_text()
    assert log.count("Ready to accept connections") == 2 and "=== taskchaos: stopping redis" in log
    server.pause()
    server.stop()  # a paused container stops too (thawed first)
    assert not server.is_alive() and not server.is_paused()
    server.start()
    server.pause()
    server.kill()
    assert not server.is_alive()


@needs_docker
def test_redis_that_cannot_start_names_its_container_and_log(driver, tmp_path):
    server, port = make_redis(driver, tmp_path, ready_deadline_s=10)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(InfraError) as info:
            server.start()
    message = str(info.value)
    assert server.container_name in message and "docker logs" in message and str(server.log_path) in message
    assert "Address already in use" in server.log_path.read_text()


# -- cleanup ----------------------------------------------------------------------------------------------

@needs_docker
def test_close_removes_every_container_of_the_driver_and_keeps_the_logs(client, tmp_path):
    driver = DockerDriver()
    running, _ = make_redis(driver, tmp_path / "a")
    paused, _ = make_redis(driver, tmp_path / "b")
    running.start()
    paused.start()
    paused.pause()
    assert len(driver.containers()) == 2
    instance = driver.instance_id
    driver.close()
    assert not client.containers.list(all=True, filters={"label": f"{DRIVER_LABEL}={instance}"})
    assert "Ready to accept connections" in running.log_path.read_text()


HARNESS = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    from chaos.infra.docker import DockerDriver
    from chaos.infra.ports import free_port
    driver = DockerDriver(run_id="test-harness-" + str(os.getpid()))
    tmp = Path(sys.argv[2])
    server = driver.redis(name="redis", port=free_port(), durability="none", workdir=tmp / "data",
                          log_path=tmp / "redis.log")
    server.start()
    print(server.container_id, flush=True)
    if sys.argv[1] == "exit":
        sys.exit(0)  # no close(): atexit must remove it
    if sys.argv[1] == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup at all: the next driver's sweep must remove it
    time.sleep(60)  # "ctrl-c": the test sends SIGINT
""")


def run_harness(mode: str, tmp_path: Path) -> tuple[str, subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, mode, str(tmp_path)], cwd=REPO_ROOT, preexec_fn=interruptible,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    container_id = proc.stdout.readline().strip()
    assert container_id, proc.stderr.read()
    return container_id, proc


def exists(client, container_id: str) -> bool:
    return bool(client.containers.list(all=True, filters={"id": container_id}))


@needs_docker
@pytest.mark.parametrize("mode", ["exit", "ctrl-c"])
def test_containers_are_removed_at_exit_and_on_ctrl_c(client, tmp_path, mode):
    container_id, proc = run_harness(mode, tmp_path)
    assert exists(client, container_id)
    if mode == "ctrl-c":
        proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) in (0, -signal.SIGINT)  # -SIGINT: Python's exit after a KeyboardInterrupt
    assert not exists(client, container_id)
    assert "Ready to accept connections" in (tmp_path / "redis.log").read_text()


@needs_docker
def test_sweep_removes_containers_of_a_killed_harness_only(client, driver, tmp_path):
    ours, _ = make_redis(driver, tmp_path / "ours")
    ours.start()
    container_id, proc = run_harness("sigkill", tmp_path / "killed")
    assert proc.wait(timeout=30) == -signal.SIGKILL
    orphan = client.containers.list(all=True, filters={"id": container_id})
    fresh = DockerDriver()
    try:
        assert not exists(client, container_id)
        if "PYTEST_XDIST_WORKER" not in os.environ:  # else another worker's new driver may sweep it first
            assert orphan and orphan[0].status == "running"  # nobody removed it before the sweep
            assert orphan[0].name in fresh.swept
        assert ours.is_alive()  # a live harness's container is not touched
    finally:
        fresh.close()


# -- images -----------------------------------------------------------------------------------------------

@needs_docker
def test_images_build_makes_the_local_image(client, capsys):
    assert images.cmd_images_build(Namespace(force=False, pull=False)) == 0
    assert images.LOCAL_IMAGE in capsys.readouterr().out
    labels = client.images.get(images.LOCAL_IMAGE).labels
    assert labels["taskchaos.redis-version"] in subprocess.run([find_redis_server(), "--version"],
                                                               capture_output=True, text=True).stdout


@needs_docker
def test_an_explicit_image_that_cannot_be_had_is_an_error_not_a_substitute(client, monkeypatch):
    monkeypatch.setattr(images, "_resolved", {})
    monkeypatch.setenv(images.IMAGE_ENV, "taskchaos/no-such-redis:never")
    monkeypatch.setenv(images.PULL_ENV, "0")
    with pytest.raises(InfraError, match=images.IMAGE_ENV):
        images.redis_image(client)


# -- a whole deployment -----------------------------------------------------------------------------------

@needs_docker
def test_a_cell_gives_the_process_drivers_verdict_under_docker(client, tmp_path):
    from chaos.cell import run_cell

    cell = run_cell("persistence", "kill-broker", "rq-default@aof-always", budget="quick", infra="docker",
                    run_dir=tmp_path)
    assert cell.verdict.verdict == "holds", cell.check.to_json()
    servers = json.loads((cell.directory / "run.json").read_text())["deployment"]["servers"]
    assert servers["redis"]["driver"] == "docker" and servers["redis"]["container"]
    assert servers["worker"]["driver"] == "process" and servers["app"]["driver"] == "process"
    log = (cell.directory / "logs" / "redis.log").read_text()
    # the signal went straight to the container's process (then docker kill), as the host sees it
    assert f"killing redis (SIGKILL to its host pid {servers['redis']['pids'][0]}, then docker kill)" in log
    assert log.count("Ready to accept connections") == 2
    # this process's containers only: xdist workers share the run id, and run their own cells meanwhile
    mine = client.containers.list(all=True, filters={"label": [f"taskchaos.run={servers['redis']['run']}",
                                                               f"taskchaos.owner-pid={os.getpid()}"]})
    assert not mine
