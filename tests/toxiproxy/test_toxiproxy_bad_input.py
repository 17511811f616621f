"""Bad input: the answers the real server gives (4xx/5xx), and our 400s where the real server
accepts nonsense or crashes (``embedded_only``). After each, the server still serves and the
state is unchanged."""

from __future__ import annotations

import json
import socket

import pytest


def _alive(http) -> None:
    answer = http.get("/version")
    assert answer.status_code == 200 and "version" in answer.json()


def _error(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = json.loads(answer.text)
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    return body["error"]


@pytest.mark.parametrize("body, message", [
    (b"", "bad request body: EOF"),
    (b'{"name": "x", ', "bad request body: unexpected EOF"),
    (b"{bad", "bad request body: invalid character 'b' looking for beginning of object key string"),
    (b"[]", "bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy"),
    (b'{"name": true, "upstream": "127.0.0.1:1"}',
     "bad request body: json: cannot unmarshal bool into Go struct field Proxy.name of type string"),
    (b'{"upstream": "127.0.0.1:1"}', "missing required field: name"),
    (b'{"name": "tptest-bad-nup"}', "missing required field: upstream"),
])
def test_proxy_create_refuses_malformed_or_incomplete_bodies(http, body, message):
    answer = http.post("/proxies", content=body, headers={"Content-Type": "application/json"})
    assert _error(answer, 400) == message
    _alive(http)


@pytest.mark.parametrize("listen, message", [
    ("not-an-address", "listen tcp: address not-an-address: missing port in address"),
    ("127.0.0.1:99999", "listen tcp: address 99999: invalid port"),
    ("1.2.3.4:5:6", "listen tcp: address 1.2.3.4:5:6: too many colons in address"),
])
def test_unusable_listen_address_is_a_500_and_creates_nothing(http, proxies, listen, message):
    name = proxies.name("listen")
    answer = http.post("/proxies", json={"name": name, "listen": listen, "upstream": "127.0.0.1:1"})
    assert _error(answer, 500) == message
    assert http.get(f"/proxies/{name}").status_code == 404
    _alive(http)


def test_listen_address_in_use_is_a_500(http, proxies):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        name = proxies.name("inuse")
        answer = http.post("/proxies", json={"name": name, "listen": f"127.0.0.1:{port}", "upstream": "127.0.0.1:1"})
        assert _error(answer, 500) == f"listen tcp 127.0.0.1:{port}: bind: address already in use"
    assert http.get(f"/proxies/{name}").status_code == 404


def test_duplicate_names_conflict(http, proxies):
    proxy = proxies.create("127.0.0.1:1")
    answer = http.post("/proxies", json={"name": proxy["name"], "listen": "127.0.0.1:0", "upstream": "127.0.0.1:2"})
    assert _error(answer, 409) == "proxy already exists"
    proxies.toxic(proxy, "latency", {"latency": 1})
    again = http.post(f"/proxies/{proxy['name']}/toxics", json={"type": "latency"})
    assert _error(again, 409) == "toxic already exists"


@pytest.mark.parametrize("body, status, message", [
    ({"type": "bogus"}, 400, "invalid toxic type"),
    ({"attributes": {"latency": 1}}, 400, "invalid toxic type"),
    ({"type": "latency", "stream": "sideways"}, 400, "stream was invalid, can be either upstream or downstream"),
    ({"type": "latency", "attributes": {"latency": 1.5}}, 400,
     "bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64"),
    ({"type": "latency", "toxicity": "0.5"}, 400,
     "bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32"),
    ({"type": "latency", "attributes": [1]}, 400,
     "bad request body: json: cannot unmarshal array into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic"),
])
def test_toxic_create_refuses_bad_toxics(http, proxies, body, status, message):
    proxy = proxies.create("127.0.0.1:1")
    answer = http.post(f"/proxies/{proxy['name']}/toxics", json=body)
    assert _error(answer, status) == message
    assert http.get(f"/proxies/{proxy['name']}/toxics").json() == []


def test_toxic_update_with_bad_body_changes_nothing(http, proxies):
    proxy = proxies.create("127.0.0.1:1")
    toxic = proxies.toxic(proxy, "latency", {"latency": 50})
    path = f"/proxies/{proxy['name']}/toxics/{toxic['name']}"
    for body in (b"{oops", b'{"attributes": {"latency": "x"}}', b""):
        _error(http.post(path, content=body), 400)
    assert http.get(path).json() == toxic


@pytest.mark.parametrize("body", [
    b"[" * 5000, b'{"name": "tptest-big", "upstream": "127.0.0.1:1", "listen": ' + b"9" * 5000 + b"}",
    b'{"name": "\\ud800", "upstream": 1e999}', "\u00e9\u2028".encode() * 100,
])
def test_absurd_json_is_a_400(http, body):
    answer = http.post("/proxies", content=body)
    assert answer.status_code == 400, answer.text
    _alive(http)


def test_unknown_things_are_404s(http):
    assert _error(http.get("/proxies/tptest-nope"), 404) == "proxy not found"
    assert _error(http.post("/proxies/tptest-nope/toxics", json={"type": "latency"}), 404) == "proxy not found"
    assert http.get("/no/such/route").status_code == 404
    assert http.put("/proxies").status_code == 405


# ---------------------------------------------------------------- where the embedded server differs


@pytest.mark.parametrize("toxicity", [-0.5, 1.5, 7])
def test_toxicity_outside_zero_one_is_refused(http, proxies, embedded_only, toxicity):
    proxy = proxies.create("127.0.0.1:1")
    base = f"/proxies/{proxy['name']}/toxics"
    _error(http.post(base, json={"type": "latency", "toxicity": toxicity}), 400)
    toxic = proxies.toxic(proxy, "latency", {"latency": 5}, toxicity=0.5)
    _error(http.patch(f"{base}/{toxic['name']}", json={"toxicity": toxicity}), 400)
    assert http.get(f"{base}/{toxic['name']}").json()["toxicity"] == 0.5
    _alive(http)


@pytest.mark.parametrize("type_, attribute", [
    ("latency", "latency"), ("latency", "jitter"), ("bandwidth", "rate"), ("slow_close", "delay"),
    ("timeout", "timeout"), ("reset_peer", "timeout"), ("slicer", "delay"), ("limit_data", "bytes"),
])
def test_negative_attributes_are_refused(http, proxies, embedded_only, type_, attribute):
    proxy = proxies.create("127.0.0.1:1")
    base = f"/proxies/{proxy['name']}/toxics"
    attributes = {"average_size": 10} if type_ == "slicer" else {}
    _error(http.post(base, json={"type": type_, "attributes": {**attributes, attribute: -1}}), 400)
    toxic = proxies.toxic(proxy, type_, attributes)
    _error(http.patch(f"{base}/{toxic['name']}", json={"attributes": {attribute: -5}}), 400)
    assert http.get(f"{base}/{toxic['name']}").json()["attributes"][attribute] == 0
    _alive(http)


@pytest.mark.parametrize("attributes", [
    {}, {"average_size": 0}, {"average_size": 2, "size_variation": 5}, {"average_size": 4, "size_variation": 4},
    {"average_size": 8, "size_variation": -1},
])
def test_slicer_settings_that_would_crash_the_real_server_are_refused(http, proxies, embedded_only, attributes):
    proxy = proxies.create("127.0.0.1:1")
    _error(http.post(f"/proxies/{proxy['name']}/toxics", json={"type": "slicer", "attributes": attributes}), 400)
    _alive(http)


def test_names_that_cannot_be_addressed_are_refused(http, proxies, embedded_only):
    for name in ("tptest-a/b", ".", ".."):
        _error(http.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}), 400)
    populate = http.post("/populate", json=[{"name": "tptest-c/d", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}])
    assert populate.status_code == 400 and populate.json()["proxies"] is None
    proxy = proxies.create("127.0.0.1:1")
    _error(http.post(f"/proxies/{proxy['name']}/toxics", json={"type": "noop", "name": "a/b"}), 400)
    assert not [n for n in http.get("/proxies").json() if "/" in n]
