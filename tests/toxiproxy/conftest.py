"""Fixtures for tests/toxiproxy: the server under test (the embedded one, started per module, or
the real one at ``TOXIPROXY_URL``), Redis and echo upstreams, and proxy bookkeeping.

The same tests run against both: a test that checks where the embedded server deliberately
differs (400 for input the real one accepts and mishandles) asks for ``embedded_only``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chaos.toxiproxy.process import ToxiproxyProcess, probe_version, start_embedded


def _load_testkit():
    """Make ``import toxiproxy_testkit`` work in this folder's test modules. The suite runs with
    ``--import-mode=importlib`` and ``pythonpath = tests``, where this folder's name would
    collide with the ``toxiproxy`` package, so the helper module is registered by hand."""
    if "toxiproxy_testkit" not in sys.modules:
        spec = importlib.util.spec_from_file_location("toxiproxy_testkit",
                                                      Path(__file__).with_name("toxiproxy_testkit.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["toxiproxy_testkit"] = module
        spec.loader.exec_module(module)
    return sys.modules["toxiproxy_testkit"]


_testkit = _load_testkit()
ProxyTracker, start_echo, start_redis = _testkit.ProxyTracker, _testkit.start_echo, _testkit.start_redis


@dataclass
class ServerUnderTest:
    url: str
    flavour: str  # "embedded" | "real-url"
    process: ToxiproxyProcess | None

    @property
    def host(self) -> str:
        return re.match(r"https?://([^:/]+)", self.url).group(1)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].rstrip("/"))


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory) -> ServerUnderTest:
    url = os.environ.get("TOXIPROXY_URL", "").strip().rstrip("/")
    if url:
        assert probe_version(url) is not None, f"TOXIPROXY_URL={url} does not answer GET /version"
        yield ServerUnderTest(url, "real-url", None)
        return
    log_path = tmp_path_factory.mktemp("toxiproxy") / "embedded.log"
    process = start_embedded(log_path=log_path)
    try:
        yield ServerUnderTest(process.url, "embedded", process)
    finally:
        assert process.stop() == 0, f"embedded server did not exit cleanly; see {log_path}"


@pytest.fixture
def embedded_only(toxiproxy: ServerUnderTest) -> None:
    if toxiproxy.flavour != "embedded":
        pytest.skip("checks a documented difference of the embedded server (the real one accepts this input)")


@pytest.fixture(scope="module")
def http(toxiproxy: ServerUnderTest) -> httpx.Client:
    with httpx.Client(base_url=toxiproxy.url, timeout=10.0, headers={"User-Agent": "taskchaos-tests"}) as client:
        yield client


@pytest.fixture
def proxies(http: httpx.Client, request) -> ProxyTracker:
    label = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    tracker = ProxyTracker(http, label)
    yield tracker
    leftovers = tracker.cleanup()
    assert not leftovers, f"test left proxies behind: {leftovers}"


@pytest.fixture(scope="module")
def redis_upstream(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def echo_upstream():
    server = start_echo()
    yield server
    server.stop()
