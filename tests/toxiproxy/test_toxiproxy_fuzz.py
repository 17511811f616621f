"""Junk at the API (Hypothesis): whatever the method, path, headers and body, the server answers,
and ``GET /version`` still works after every request."""

from __future__ import annotations

import json
import socket
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.usefixtures("embedded_fuzz_target")

METHODS = st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]) | st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
SEGMENT = st.sampled_from(["proxies", "toxics", "populate", "reset", "version", "fz", "latency_downstream", "..",
                           ".", ""]) | st.text(min_size=0, max_size=12)
PATHS = st.lists(SEGMENT, min_size=0, max_size=5).map(lambda parts: "/" + "/".join(parts))
JSON_SCALARS = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(["name", "enabled", "type", "stream", "Type", "toxicity",
                                                              "attributes", "latency", "jitter", "rate", "average_size",
                                                              "size_variation", "delay", "bytes", "timeout", "Logger"])
                                             | st.text(max_size=8), inner, max_size=5), max_leaves=12)
# Random objects carry no listen/upstream keys: proxies are only created by the last strategy,
# which listens on 127.0.0.1 (or fails to): nothing is ever bound to every interface.
BODIES = (JSON_VALUES.map(lambda v: json.dumps(v).encode())
          | st.binary(max_size=64)
          | st.builds(lambda name, t, attrs, tox: json.dumps({"name": name, "type": t, "attributes": attrs,
                                                               "toxicity": tox}).encode(),
                      st.text(max_size=6).map(lambda s: f"fz{s}"), st.sampled_from(["latency", "slicer", "bandwidth",
                                                                                     "timeout", "bogus", ""]),
                      JSON_VALUES, JSON_SCALARS)
          | st.builds(lambda name, listen: json.dumps({"name": f"fz{name}", "listen": listen,
                                                       "upstream": "127.0.0.1:1"}).encode(),
                      st.text(max_size=6), st.sampled_from(["127.0.0.1:0", "127.0.0.1:99999", "garbage", "127.0.0.1:x"])))


@pytest.fixture(scope="module")
def embedded_fuzz_target(toxiproxy, http):
    if toxiproxy.flavour != "embedded":
        pytest.skip("junk may leave proxies a real server cannot delete through its API (names with '/')")
    yield
    for name in http.get("/proxies").json():  # this module's server is ours alone
        http.delete(f"/proxies/{quote(name, safe='')}")
    assert http.get("/proxies").json() == {}, "junk left proxies that cannot be deleted"


def _alive(http: httpx.Client) -> None:
    answer = http.get("/version")
    assert answer.status_code == 200 and answer.json()["version"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, path=PATHS, body=BODIES, content_type=st.sampled_from(["application/json", "text/plain", None]))
def test_junk_requests_never_take_the_server_down(http, method, path, body, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        answer = http.request(method, path, content=body, headers=headers)
    except httpx.InvalidURL:
        return
    assert 200 <= answer.status_code < 600
    if answer.status_code >= 400 and answer.content and answer.headers.get("content-type", "").startswith(("text/plain", "application/json")):
        if answer.text.startswith("{"):
            error = json.loads(answer.text)
            assert error["status"] == answer.status_code and error["error"]
    _alive(http)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.builds(lambda m, p, rest: m + b" " + p + b" HTTP/1.1\r\n" + rest,
                                              st.binary(max_size=8), st.binary(max_size=30), st.binary(max_size=80)))
def test_raw_junk_on_the_socket_never_takes_the_server_down(toxiproxy, http, raw):
    with socket.create_connection((toxiproxy.host, toxiproxy.port), timeout=5) as sock:
        sock.sendall(raw + b"\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):
                pass
        except (socket.timeout, ConnectionResetError):
            pass
    _alive(http)
