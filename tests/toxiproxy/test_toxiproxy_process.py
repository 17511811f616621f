"""chaos.toxiproxy.process and chaos.toxiproxy.select: start, readiness, deadlines, stop, flavours.

Fake ``toxiproxy-server`` binaries (small Python scripts) stand in for the real one, so the
``real-binary`` path is tested without it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.process import ToxiproxyStartError, probe_version, start_binary, start_embedded
from chaos.toxiproxy.select import ToxiproxyUnavailable, select_toxiproxy

FAKE_SERVER = textwrap.dedent('''\
    #!{python}
    """A stand-in toxiproxy-server: answers GET /version on -port; {behaviour}."""
    import signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    IGNORE_TERM = {ignore_term}
    if IGNORE_TERM:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    port = int(sys.argv[sys.argv.index("-port") + 1])
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{{"version": "fake"}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    print("fake toxiproxy on", port, flush=True)
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
''')


def _script(directory, name: str, text: str):
    path = directory / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _fake_server(directory, ignore_term: bool = False):
    behaviour = "ignores SIGTERM" if ignore_term else "exits on SIGTERM"
    return _script(directory, "toxiproxy-server",
                   FAKE_SERVER.format(python=sys.executable, ignore_term=ignore_term, behaviour=behaviour))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_embedded_starts_answers_and_stops_cleanly(tmp_path):
    log_path = tmp_path / "embedded.log"
    process = start_embedded(log_path=log_path)
    try:
        assert process.url.startswith("http://127.0.0.1:") and process.alive()
        assert '"version"' in probe_version(process.url)
        assert "toxiproxy listening on 127.0.0.1:" in log_path.read_text()
    finally:
        assert process.stop() == 0
    assert _gone(process.pid) and probe_version(process.url, timeout_s=0.5) is None


def _dead_or_zombie(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_embedded_dies_with_a_harness_killed_by_sigkill(tmp_path):
    """A SIGKILLed harness runs no atexit hook: the server must not outlive it (PR_SET_PDEATHSIG)."""
    harness = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from chaos.toxiproxy.process import start_embedded
        process = start_embedded(log_path=Path({str(tmp_path / "embedded.log")!r}))
        print(process.pid, flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(harness.stdout.readline())
        assert not _dead_or_zombie(server_pid)
        harness.kill()
        harness.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _dead_or_zombie(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the kernel to deliver the parent-death signal, with a deadline
        assert _dead_or_zombie(server_pid), f"embedded Toxiproxy (pid {server_pid}) outlived its killed harness"
    finally:
        if harness.poll() is None:
            harness.kill()


def test_embedded_config_file_creates_proxies_at_startup(tmp_path):
    config = tmp_path / "proxies.json"
    config.write_text('[{"name": "from-config", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}]')
    process = start_embedded(log_path=tmp_path / "cfg.log", extra_args=["--config", str(config), "--seed", "7"])
    try:
        assert ToxiproxyClient(process.url).get_proxy("from-config").enabled is True
    finally:
        assert process.stop() == 0


def test_embedded_with_a_bad_config_file_does_not_start(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text('[{"name": "no-upstream"}]')
    with pytest.raises(ToxiproxyStartError) as error:
        start_embedded(log_path=tmp_path / "bad.log", extra_args=["--config", str(config)])
    assert "missing required field: upstream at proxy 1" in str(error.value)


def test_binary_that_never_listens_times_out_naming_its_log(tmp_path):
    sleeper = _script(tmp_path, "sleepy", f"#!{sys.executable}\nimport time\nprint('starting', flush=True)\ntime.sleep(60)\n")
    log_path = tmp_path / "sleepy.log"
    started = time.monotonic()
    with pytest.raises(ToxiproxyStartError) as error:
        start_binary(str(sleeper), log_path=log_path, startup_timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert str(log_path) in str(error.value) and "deadline" in str(error.value)
    assert "starting" in str(error.value)  # the log's last lines come with it


def test_binary_that_exits_early_is_reported(tmp_path):
    failing = _script(tmp_path, "failing", f"#!{sys.executable}\nimport sys\nprint('boom', flush=True)\nsys.exit(3)\n")
    with pytest.raises(ToxiproxyStartError) as error:
        start_binary(str(failing), log_path=tmp_path / "failing.log", startup_timeout_s=10)
    assert "exited with code 3" in str(error.value) and "boom" in str(error.value)


def test_stop_escalates_to_sigkill(tmp_path):
    stubborn = _fake_server(tmp_path, ignore_term=True)
    process = start_binary(str(stubborn), log_path=tmp_path / "stubborn.log", startup_timeout_s=10)
    started = time.monotonic()
    assert process.stop(timeout_s=0.3) == -9
    assert time.monotonic() - started < 5 and _gone(process.pid)


def test_select_prefers_toxiproxy_url(tmp_path):
    process = start_embedded(log_path=tmp_path / "e.log")
    try:
        handle = select_toxiproxy(env={"TOXIPROXY_URL": process.url + "/", "PATH": ""})
        assert (handle.url, handle.flavour, handle.process) == (process.url, "real-url", None)
        handle.stop()  # not ours: left running
        assert probe_version(process.url) is not None
    finally:
        process.stop()


def test_select_refuses_a_dead_toxiproxy_url():
    with pytest.raises(ToxiproxyUnavailable):
        select_toxiproxy(env={"TOXIPROXY_URL": "http://127.0.0.1:1", "PATH": ""}, startup_timeout_s=1)


def test_select_starts_a_binary_on_path(tmp_path):
    _fake_server(tmp_path)
    handle = select_toxiproxy(env={"PATH": str(tmp_path)}, log_path=tmp_path / "bin.log")
    try:
        assert handle.flavour == "real-binary" and probe_version(handle.url) == '{"version": "fake"}'
    finally:
        handle.stop()
    assert _gone(handle.process.pid)


def test_select_falls_back_to_embedded(tmp_path):
    handle = select_toxiproxy(env={"PATH": str(tmp_path)}, log_path=tmp_path / "emb.log")
    try:
        assert handle.flavour == "embedded" and handle.log_path == tmp_path / "emb.log"
        assert '"version"' in probe_version(handle.url)
    finally:
        handle.stop()
    assert not handle.process.alive()
