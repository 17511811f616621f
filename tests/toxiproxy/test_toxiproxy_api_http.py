"""Every endpoint over raw HTTP (httpx): status codes, content types, body shapes, field order."""

from __future__ import annotations

import pytest
from toxiproxy_testkit import connect, free_port, ping

PROXY_KEYS = ["name", "listen", "upstream", "enabled", "Logger", "toxics"]
TOXIC_KEYS = ["attributes", "name", "type", "stream", "toxicity"]


def test_version(http):
    answer = http.get("/version")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json;charset=utf-8"
    assert list(answer.json()) == ["version"]
    assert answer.headers["x-toxiproxy-request-id"]


def test_proxy_lifecycle(http, proxies, redis_upstream):
    name = proxies.name("life")
    created = http.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": redis_upstream.address})
    assert created.status_code == 201 and created.headers["content-type"] == "application/json"
    body = created.json()
    assert list(body) == PROXY_KEYS and body["enabled"] is True and body["toxics"] == []
    assert not body["listen"].endswith(":0"), "the bound port is reported"

    listing = http.get("/proxies").json()
    assert listing[name] == body
    assert http.get(f"/proxies/{name}").json() == body

    disabled = http.post(f"/proxies/{name}", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    enabled = http.patch(f"/proxies/{name}", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True

    assert http.delete(f"/proxies/{name}").status_code == 204
    assert http.get(f"/proxies/{name}").status_code == 404


def test_proxy_created_disabled_does_not_listen(http, proxies):
    listen = f"127.0.0.1:{free_port()}"
    body = proxies.create("127.0.0.1:1", listen=listen, enabled=False)
    assert body["enabled"] is False and body["listen"] == listen
    with pytest.raises(ConnectionRefusedError):
        connect(listen, timeout_s=2).close()


def test_proxy_names_are_percent_decoded(http, proxies):
    name = proxies.name("with space")
    assert http.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}).status_code == 201
    assert http.get(f"/proxies/{name.replace(' ', '%20')}").json()["name"] == name


def test_toxic_lifecycle(http, proxies):
    proxy = proxies.create("127.0.0.1:1")
    base = f"/proxies/{proxy['name']}/toxics"
    assert http.get(base).json() == []

    created = http.post(base, json={"type": "latency", "attributes": {"latency": 30}})
    assert created.status_code == 200
    toxic = created.json()
    assert list(toxic) == TOXIC_KEYS
    assert toxic == {"attributes": {"latency": 30, "jitter": 0}, "name": "latency_downstream", "type": "latency",
                     "stream": "downstream", "toxicity": 1}

    up = http.post(base, json={"type": "bandwidth", "stream": "upstream", "toxicity": 0.5,
                               "attributes": {"rate": 10}}).json()
    assert up["name"] == "bandwidth_upstream"
    assert [t["name"] for t in http.get(base).json()] == ["bandwidth_upstream", "latency_downstream"]

    patched = http.patch(f"{base}/latency_downstream", json={"attributes": {"jitter": 5}})
    assert patched.json()["attributes"] == {"latency": 30, "jitter": 5} and patched.json()["toxicity"] == 1
    posted = http.post(f"{base}/latency_downstream", json={"toxicity": 0.25})
    assert posted.json()["attributes"] == {"latency": 30, "jitter": 5} and posted.json()["toxicity"] == 0.25
    assert http.get(f"{base}/latency_downstream").json() == posted.json()

    shown = http.get(f"/proxies/{proxy['name']}").json()
    assert [t["name"] for t in shown["toxics"]] == ["bandwidth_upstream", "latency_downstream"]

    assert http.delete(f"{base}/latency_downstream").status_code == 204
    assert http.get(f"{base}/latency_downstream").status_code == 404
    assert [t["name"] for t in http.get(base).json()] == ["bandwidth_upstream"]


@pytest.mark.parametrize("type_, attributes", [
    ("latency", {"latency": 0, "jitter": 0}), ("bandwidth", {"rate": 0}), ("slow_close", {"delay": 0}),
    ("timeout", {"timeout": 0}), ("reset_peer", {"timeout": 0}), ("limit_data", {"bytes": 0}), ("noop", {}),
])
def test_toxic_defaults(http, proxies, type_, attributes):
    proxy = proxies.create("127.0.0.1:1")
    toxic = http.post(f"/proxies/{proxy['name']}/toxics", json={"type": type_}).json()
    assert toxic == {"attributes": attributes, "name": f"{type_}_downstream", "type": type_,
                     "stream": "downstream", "toxicity": 1}


def test_populate_creates_keeps_and_replaces(http, proxies, redis_upstream):
    first, second = proxies.name("pop"), proxies.name("pop")
    listen_a, listen_b = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    answer = http.post("/populate", json=[
        {"name": first, "listen": listen_a, "upstream": redis_upstream.address},
        {"name": second, "listen": listen_b, "upstream": redis_upstream.address, "enabled": False},
    ])
    assert answer.status_code == 201
    made = answer.json()["proxies"]
    assert [p["name"] for p in made] == [first, second] and [p["enabled"] for p in made] == [True, False]

    http.post(f"/proxies/{first}/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    same = http.post("/populate", json=[{"name": first, "listen": listen_a, "upstream": redis_upstream.address}])
    assert same.json()["proxies"][0]["toxics"][0]["name"] == "latency_downstream"

    listen_c = f"127.0.0.1:{free_port()}"
    changed = http.post("/populate", json=[{"name": first, "listen": listen_c, "upstream": redis_upstream.address}])
    assert changed.json()["proxies"][0]["listen"] == listen_c and changed.json()["proxies"][0]["toxics"] == []
    with connect(listen_c) as sock:
        assert ping(sock).data == b"+PONG\r\n"
    assert http.post("/populate", json=[]).json() == {"proxies": None}


def test_populate_errors_carry_the_proxies_made(http, proxies):
    good = proxies.name("ok")
    answer = http.post("/populate", json=[
        {"name": good, "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
        {"name": proxies.name("bad"), "listen": "127.0.0.1:99999", "upstream": "127.0.0.1:1"},
    ])
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["error", "status", "proxies"]
    assert [p["name"] for p in body["proxies"]] == [good]
    missing = http.post("/populate", json=[{"name": proxies.name("x"), "upstream": "127.0.0.1:1"}, {"upstream": "y"}])
    assert missing.status_code == 400
    assert missing.json() == {"error": "missing required field: name at proxy 2", "status": 400, "proxies": None}


def test_reset(http, proxies):
    proxy = proxies.create("127.0.0.1:1", enabled=False)
    assert http.post("/reset").status_code == 204
    assert http.get(f"/proxies/{proxy['name']}").json()["enabled"] is True
    assert http.get("/reset").status_code == 405


def test_routing_details(http):
    assert http.get("/proxies/").text == "404 page not found\n"
    assert "x-toxiproxy-request-id" not in http.get("/nonexistent").headers
    assert http.request("HEAD", "/version").status_code == 405
    assert http.delete("/proxies").status_code == 405
    browser = http.get("/version", headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert browser.status_code == 403 and browser.text == "User agent not allowed\n"
    ids = {http.get("/version").headers["x-toxiproxy-request-id"] for _ in range(3)}
    assert len(ids) == 3
