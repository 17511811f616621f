"""The process driver: real redis-server, Celery and RQ workers, uvicorn — started, hurt, and
always stopped, also on Ctrl-C."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from chaos.infra import get_driver
from chaos.infra.base import InfraError
from chaos.infra.deployment import Deployment
from chaos.infra.ports import free_port
from chaos.infra.process import ProcessServer, session_members
from chaos.infra.readiness import LogLine, RedisPing
from chaos.profile import get_profile
from tests.helpers import interruptible, wait_for


def redis_get(port: int, command: bytes, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(command)
        return s.recv(1024)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def redis(tmp_path):
    port = free_port()
    server = get_driver("process").redis(name="redis", port=port, durability="aof-always", workdir=tmp_path / "data",
                                         log_path=tmp_path / "redis.log")
    server.start()
    yield server, port
    server.kill()


def test_redis_stop_kill_pause_resume_restart(redis):
    server, port = redis
    assert redis_get(port, b"SET k v\r\n") == b"+OK\r\n"
    server.pause()
    assert server.is_paused()
    with pytest.raises(socket.timeout):
        redis_get(port, b"PING\r\n", timeout=0.5)
    server.resume()
    assert redis_get(port, b"PING\r\n") == b"+PONG\r\n"
    first_pid = server.pid
    server.restart()
    assert server.pid != first_pid and not alive(first_pid)
    assert redis_get(port, b"GET k\r\n") == b"$1\r\nv\r\n"  # aof-always kept it
    pid = server.pid
    server.kill()
    assert not server.is_alive() and not alive(pid) and session_members(pid) == []
    server.start()
    assert redis_get(port, b"GET k\r\n") == b"$1\r\nv\r\n"
    server.stop()
    assert not server.is_alive() and session_members(server.pid) == []


def test_readiness_timeout_names_what_and_the_log(tmp_path):
    log = tmp_path / "never.log"
    server = ProcessServer(name="never-ready", role="worker", argv=[sys.executable, "-c", "import time; time.sleep(30)"],
                           env=None, cwd=tmp_path, log_path=log, ready=LogLine(log, "ready"), ready_deadline_s=1)
    with pytest.raises(InfraError, match=rf"never-ready .* was not ready within 1 s .*see its log: {log}"):
        server.start()
    assert not server.is_alive()


def test_a_server_that_exits_early_is_reported_with_its_log(tmp_path):
    log = tmp_path / "dies.log"
    server = ProcessServer(name="dies", role="worker", argv=[sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
                           env=None, cwd=tmp_path, log_path=log, ready=RedisPing(free_port()), ready_deadline_s=20)
    with pytest.raises(InfraError, match=rf"dies .* exited before it was ready .*{log}"):
        server.start()
    assert "boom" in log.read_text()


def test_missing_binary_is_a_clear_error(tmp_path):
    server = ProcessServer(name="ghost", role="worker", argv=["/nonexistent/ghost"], env=None, cwd=tmp_path,
                           log_path=tmp_path / "g.log", ready=RedisPing(free_port()))
    with pytest.raises(InfraError, match="cannot start ghost: /nonexistent/ghost not found"):
        server.start()


def children_of(server) -> list[int]:
    return [p for p in session_members(server.pid) if p != server.pid]


def test_celery_child_killed_without_its_parent_and_nothing_left_after_down(tmp_path):
    dep = Deployment(get_profile("celery-default"), get_driver("process"), tmp_path)
    with dep:
        worker = dep.server("worker")
        child = wait_for(lambda: children_of(worker))[0]
        worker.kill_descendant(child)
        wait_for(lambda: not alive(child))
        assert worker.is_alive()
        wait_for(lambda: children_of(worker))  # the parent replaced its child
        with pytest.raises(InfraError, match="does not belong to worker"):
            worker.kill_descendant(os.getpid())
        pids = [pid for s in dep.servers.values() for pid in s.describe()["pids"]]
        leaders = [s.pid for s in dep.servers.values()]
    assert not any(alive(p) for p in pids)
    assert all(session_members(leader) == [] for leader in leaders)


def test_killing_the_rq_worker_kills_its_work_horse_too(tmp_path):
    # RQ's horse moves to its own process group (os.setpgrp): a process-group kill would miss it.
    import httpx

    from chaos.records.ledger import read_ledger, release

    dep = Deployment(get_profile("rq-default"), get_driver("process"), tmp_path)
    with dep:
        httpx.post(f"{dep.app_url}/tasks", json={"key": "h", "hold_at": "start", "hold_timeout_s": 60}, timeout=30)
        held = wait_for(lambda: [r for r in read_ledger(dep.ledger_dir).records if r.event == "held"])[0]
        assert held.pid != dep.server("worker").pid and os.getpgid(held.pid) != dep.server("worker").pid
        dep.server("worker").kill()
        assert not alive(held.pid)
        release(dep.ledger_dir, "h")


def test_ctrl_c_stops_everything_the_run_started(tmp_path):
    script = textwrap.dedent(f"""
        import json, time
        from pathlib import Path
        from chaos.infra import get_driver
        from chaos.infra.deployment import Deployment
        from chaos.profile import get_profile
        dep = Deployment(get_profile("celery-default"), get_driver("process"), Path({str(tmp_path)!r}))
        dep.up()
        print(json.dumps([s.pid for s in dep.servers.values()]), flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)
    try:
        leaders = json.loads(proc.stdout.readline())
        members = {p for leader in leaders for p in session_members(leader)}
        assert len(members) > len(leaders)  # the celery worker's prefork child is among them
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not any(alive(p) for p in members)
    assert all(session_members(leader) == [] for leader in leaders)


# A server that needs `after` seconds to shut down once it gets SIGTERM (a warm shutdown finishing its task).
_SLOW_TO_STOP = textwrap.dedent("""
    import signal, sys, time
    after = float(sys.argv[1])
    def on_term(*_):
        time.sleep(after)
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
""")


@pytest.mark.parametrize("shutdown_s, grace_s, within", [(0.2, 10.0, True), (30.0, 0.5, False)])
def test_a_graceful_stop_sigkills_what_outlasts_its_grace(tmp_path, shutdown_s, grace_s, within):
    log = tmp_path / "slow.log"
    server = ProcessServer(name="slow", role="worker", argv=[sys.executable, "-c", _SLOW_TO_STOP, str(shutdown_s)],
                           env=None, cwd=tmp_path, log_path=log, ready=LogLine(log, "ready"), ready_deadline_s=20)
    server.start()
    pid = server.describe()["pid"]
    stopped = server.stop(grace_s)
    assert stopped["exited_within_grace"] is within and stopped["grace_s"] == grace_s
    assert stopped["exit_code"] == (0 if within else -signal.SIGKILL)
    assert not server.is_alive() and not alive(pid)
