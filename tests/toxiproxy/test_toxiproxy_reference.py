"""Replay the 130 request/response pairs captured from a real Toxiproxy 2.12.0 and compare.

The capture (``tests/toxiproxy/reference/toxiproxy-2.12-api.json``, a copy of the project's shared
reference, or ``$TOXIPROXY_REFERENCE``)
ran as one sequence against one server; so does this replay, with the few steps the capture did
not record (deleting throwaway proxies, adding a toxic) put back in. Normalised: request ids and
dates (only their presence is compared), ports (the capture's fixed ports map to free ports
found now, its API port 8474 to the server's), and the two ports the server picked itself.

Bodies are compared byte for byte. Where the embedded server deliberately answers 400 instead
(the real one accepts the input and later misbehaves; see chaos/toxiproxy/README.md), the case
must be a 400 with a JSON error, and later listings are expected without what it refused.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import httpx
import pytest

REFERENCE = Path(os.environ.get("TOXIPROXY_REFERENCE",
                                Path(__file__).with_name("reference") / "toxiproxy-2.12-api.json"))

# Steps the capture did not record, inserted before the case id given as key.
SETUP_BEFORE = {
    "proxy-create-missing-listen": [("DELETE", "/proxies/port0", None, 204)],
    "proxy-create-listen-hostname": [("DELETE", "/proxies/nolisten", None, 204)],
    "proxy-create-disabled": [("DELETE", "/proxies/localhostlisten", None, 204)],
    "proxies-index": [("DELETE", "/proxies/nullenabled", None, 204)],
    "proxies-index-before-reset": [("DELETE", "/proxies/disabled-bad", None, 204),
                                   ("POST", "/proxies/redis", {"enabled": False}, 200)],
    "populate-same-keeps-toxics": [("POST", "/proxies/pop1/toxics",
                                    {"type": "latency", "attributes": {"latency": 10}}, 200)],
    "reset-with-unstartable-proxy": [("POST", "/proxies",
                                      {"name": "unstartable", "listen": "garbage", "upstream": "127.0.0.1:6411",
                                       "enabled": False}, 201)],
    # The real server resets proxies in random map order and stops at the unstartable one:
    # make the state that follows deterministic before comparing it.
    "unknown-route": [("DELETE", "/proxies/unstartable", None, 204),
                      ("POST", "/proxies/pop2", {"enabled": False}, 200)],
}

# Cases where the server picked the port: compare the listen address without it.
PICKED_PORT = {"proxy-create-port-zero", "proxy-create-missing-listen"}

# The embedded server answers these with a 400 (the real one accepts them).
EMBEDDED_REFUSES = {"toxic-create-attr-negative", "toxic-create-toxicity-above-1", "toxic-create-toxicity-negative",
                    "toxic-update-toxicity-out-of-range", "toxic-defaults-slicer", "proxy-create-name-with-slash"}
REFUSED_TOXICS = {"lat_neg", "tox_hi", "tox_neg"}
NOT_CREATED_PROXIES = {"weird name/with slash"}

# A proxy named with '/' cannot be deleted through the API of a real server: never make one there.
REAL_SKIPS = {"proxy-create-name-with-slash", "proxy-show-encoded-slash", "proxy-delete-encoded-slash"}

IGNORED_HEADERS = {"date", "x-toxiproxy-request-id", "content-length"}


def _load_cases() -> list[dict]:
    if not REFERENCE.exists():
        pytest.skip(f"reference capture not found at {REFERENCE}")
    return json.loads(REFERENCE.read_text())["cases"]


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


class PortMap:
    """Captured ports → ports of this run, applied to request and expected texts."""

    def __init__(self, cases: list[dict], api_port: int):
        captured = set()
        for case in cases:
            for text in (case["request"]["body"] or "", case["response"]["body_raw"]):
                captured.update(int(p) for p in re.findall(r"127\.0\.0\.1:(\d{4,5})\b", text))
        captured = {p for p in captured if p <= 65535 and p != 8474}  # 99999 stays: it is the error
        fresh = _free_ports(len(captured))
        self.mapping = {8474: api_port, **dict(zip(sorted(captured), fresh))}

    def apply(self, text: str) -> str:
        def swap(match: re.Match) -> str:
            port = int(match.group(2))
            return f"{match.group(1)}:{self.mapping.get(port, port)}"

        return re.sub(r"(127\.0\.0\.1|localhost):(\d{4,5})\b", swap, text)


def _structure(raw: str):
    """JSON with key order kept (as lists of pairs), for comparing re-ordered expectations."""
    return json.loads(raw, object_pairs_hook=lambda pairs: [(k, v) for k, v in pairs])


def _adjusted_expectation(value, embedded: bool):
    """The captured listing without what this replay did not create: the proxy named with '/'
    (never made on a real server, refused by ours) and, on ours, the refused toxics."""
    if isinstance(value, list) and value and isinstance(value[0], tuple):  # an object
        pairs = [(k, _adjusted_expectation(v, embedded)) for k, v in value if k not in NOT_CREATED_PROXIES]
        keys = dict(pairs)
        if embedded and keys.get("name") == "latency_downstream" and keys.get("toxicity") == 7:
            pairs = [(k, 0.25 if k == "toxicity" else v) for k, v in pairs]
        return pairs
    if isinstance(value, list):
        return [_adjusted_expectation(v, embedded) for v in value
                if not (embedded and isinstance(v, list) and v and isinstance(v[0], tuple)
                        and dict(v).get("name") in REFUSED_TOXICS)]
    return value


def _send(http: httpx.Client, method: str, path: str, headers: dict, body: bytes | None) -> httpx.Response:
    return http.request(method, path, headers=headers, content=body)


def test_replay_reference_capture(toxiproxy, http):
    cases = _load_cases()
    if http.get("/proxies").json():
        pytest.skip("the replay needs a Toxiproxy without proxies")
    ports = PortMap(cases, toxiproxy.port)
    embedded = toxiproxy.flavour == "embedded"
    refused_any = False
    created: set[str] = set()
    compared = 0
    try:
        for case in cases:
            case_id = case["id"]
            for method, path, body, status in SETUP_BEFORE.get(case_id, []):
                payload = ports.apply(json.dumps(body)).encode() if body is not None else None
                answer = _send(http, method, path, {"Content-Type": "application/json"}, payload)
                assert answer.status_code == status, f"setup before {case_id}: {method} {path} -> {answer.text}"
                if body and "name" in body:
                    created.add(body["name"])
            if not embedded and case_id in REAL_SKIPS:
                continue
            request, expected = case["request"], case["response"]
            body = ports.apply(request["body"]).encode() if request["body"] is not None else None
            if request["method"] in ("POST",) and request["path"] == "/proxies" and body:
                try:
                    name = json.loads(body).get("name")
                except (ValueError, AttributeError):
                    name = None
                if isinstance(name, str):
                    created.add(name)
            answer = _send(http, request["method"], request["path"], dict(request["headers"]), body)
            where = f"case {case_id}: {request['method']} {request['path']}"

            if embedded and case_id in EMBEDDED_REFUSES:
                refused_any = True
                assert answer.status_code == 400, f"{where}: expected our 400, got {answer.status_code} {answer.text}"
                error = answer.json()
                assert set(error) == {"error", "status"} and error["status"] == 400, where
                continue

            assert answer.status_code == expected["status"], f"{where}: {answer.status_code} {answer.text}"
            for name, value in expected["headers"].items():
                if name.lower() in IGNORED_HEADERS:
                    continue
                assert answer.headers.get(name) == value, f"{where}: header {name}"
            for name in ("X-Toxiproxy-Request-Id",):
                assert (name in answer.headers) == (name in expected["headers"]), f"{where}: {name} presence"
            if "X-Toxiproxy-Request-Id" in request["headers"]:
                assert answer.headers["X-Toxiproxy-Request-Id"] != request["headers"]["X-Toxiproxy-Request-Id"]
            if "Content-Length" in expected["headers"]:
                assert answer.headers.get("Content-Length") == str(len(answer.content)), where
            else:
                assert "Content-Length" not in answer.headers, where

            want = ports.apply(expected["body_raw"])
            got = answer.text
            if case_id in PICKED_PORT:
                want = re.sub(r'("listen":"[^"]*:)\d+"', r'\1PORT"', want)
                got = re.sub(r'("listen":"[^"]*:)\d+"', r'\1PORT"', got)
            adjusted = None
            if expected["body_json"] is not None:
                adjusted = _adjusted_expectation(_structure(want), embedded and refused_any)
                if adjusted == _structure(want):
                    adjusted = None
            if adjusted is not None:  # a listing without what we refused: compare the structure
                assert _structure(got) == adjusted, where
            else:
                assert got == want, where
            compared += 1
    finally:
        for name in created | {"redis", "badup", "disabled", "disabled-bad", "ok3", "pop1", "pop2", "unstartable",
                               "port0", "nolisten", "localhostlisten", "nullenabled", "space name"}:
            if name and "/" not in name:
                http.delete(f"/proxies/{name}")
    assert compared >= 115, compared
