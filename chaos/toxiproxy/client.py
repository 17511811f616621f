"""The harness's Toxiproxy client: a thin wrapper over the toxiproxy-python package.

The nemesis uses :class:`ToxiproxyClient` to create proxies, add/update/remove toxics, take
proxies down and bring them back, reset and populate — against a real Toxiproxy or the embedded
server alike. Requests go through toxiproxy-python's ``APIConsumer`` (its HTTP layer and its
error mapping); results come back as plain records (:class:`ProxyInfo`, :class:`ToxicInfo`).

What toxiproxy-python 0.1.1 lacks, and what this wrapper does about it:

- *Server address*: ``APIConsumer.host``/``port`` are class attributes shared by the whole
  process (``Toxiproxy.update_api_consumer`` mutates them), and ``Toxiproxy()`` takes no address.
  We subclass ``APIConsumer`` per client with its own host and port, so two servers can be used
  at once. Its URLs are always ``http://``.
- *Deadlines*: ``Toxiproxy``/``Proxy`` methods call requests without a timeout (a stuck server
  hangs the caller forever). ``APIConsumer.get/post/delete`` pass ``**kwargs`` to requests, so we
  call them directly with ``timeout=``.
- *Errors*: only 400/404/409 raise (``InvalidToxic``/``NotFound``/``ProxyExists``); a 500 (listen
  address in use, a failed reset) is returned as if it succeeded — ``Toxiproxy.create`` then
  fails with a ``KeyError`` on the error body and ``reset()`` returns ``False``. We raise
  :class:`ToxiproxyApiError` (status and message) for every 4xx/5xx, chaining the package's
  exception when it raised one.
- *Names in URLs*: names are put in paths unescaped (``"/proxies/%s"``); we percent-encode them.
- *Missing operations*: no toxic update (``POST /proxies/{p}/toxics/{t}``), no proxy update of
  listen/upstream, no ``POST /populate`` (its ``populate`` deletes and re-creates proxies one by
  one on the client, ignoring ``enabled``), and ``add_toxic`` returns nothing. We implement them.
- *Objects bound to the global address*: its ``Proxy`` objects' methods (``disable``,
  ``add_toxic``...) always use the class-level ``APIConsumer``, i.e. the default 127.0.0.1:8474,
  whatever server they came from; we return plain records instead, so nothing can talk to the
  wrong server.
- ``Toxiproxy.create`` lists all proxies first to raise ``ProxyExists`` itself (a race, and an
  extra request); we let the server answer 409.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import quote

from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

__all__ = ["ProxyInfo", "ToxicInfo", "ToxiproxyApiError", "ToxiproxyClient"]

DEFAULT_TIMEOUT_S = 10.0


class ToxiproxyApiError(Exception):
    """The server answered with an error: ``status`` and its ``error`` message."""

    def __init__(self, status: int, message: str, method: str, path: str):
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ToxicInfo:
    """A toxic as the server reports it (attributes use the API's names, e.g. ``latency``)."""

    proxy: str
    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy as the server reports it; ``listen`` is the address actually bound."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...] = ()

    @property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


def _name(name: str) -> str:
    return quote(name, safe="")


class ToxiproxyClient:
    """One Toxiproxy server at ``url`` (``http://host:port``); every call has a deadline."""

    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S):
        match = re.fullmatch(r"http://([^/:]+|\[[^\]]+\]):(\d+)/?", url)
        if match is None:
            raise ValueError(f"toxiproxy-python can only reach http://host:port, not {url!r}")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._api = type("TaskchaosAPIConsumer", (APIConsumer,),
                         {"host": match.group(1), "port": int(match.group(2))})

    # ------------------------------------------------------------------ transport

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """One request; the JSON answer (``None`` for 204); :class:`ToxiproxyApiError` for 4xx/5xx."""
        send = getattr(self._api, method.lower())
        kwargs: dict[str, Any] = {"timeout": self.timeout_s}
        if body is not None:
            kwargs["json"] = body
        try:
            response = send(path, **kwargs)
        except (InvalidToxic, NotFound, ProxyExists) as exc:
            status = {InvalidToxic: 400, NotFound: 404, ProxyExists: 409}[type(exc)]
            raise ToxiproxyApiError(status, _message(exc.args[0] if exc.args else b""), method, path) from exc
        if response.status_code >= 400:
            raise ToxiproxyApiError(response.status_code, _message(response.content), method, path)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # ------------------------------------------------------------------ server

    def version(self) -> str:
        answer = self._call("GET", "/version")
        return answer["version"] if isinstance(answer, dict) else str(answer)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._call("POST", "/reset")

    # ------------------------------------------------------------------ proxies

    def proxies(self) -> dict[str, ProxyInfo]:
        return {name: _proxy(data) for name, data in self._call("GET", "/proxies").items()}

    def get_proxy(self, name: str) -> ProxyInfo:
        return _proxy(self._call("GET", f"/proxies/{_name(name)}"))

    def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0",
                     enabled: bool = True) -> ProxyInfo:
        """Create a proxy; ``listen`` defaults to a free port on 127.0.0.1 (see ``.listen``)."""
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled}
        return _proxy(self._call("POST", "/proxies", body))

    def update_proxy(self, name: str, *, listen: str | None = None, upstream: str | None = None,
                     enabled: bool | None = None) -> ProxyInfo:
        body = {k: v for k, v in (("listen", listen), ("upstream", upstream), ("enabled", enabled))
                if v is not None}
        return _proxy(self._call("POST", f"/proxies/{_name(name)}", body))

    def disable(self, name: str) -> ProxyInfo:
        """Take the proxy down: it stops listening and its open connections are cut."""
        return self.update_proxy(name, enabled=False)

    def enable(self, name: str) -> ProxyInfo:
        return self.update_proxy(name, enabled=True)

    @contextmanager
    def down(self, name: str) -> Iterator[None]:
        """The proxy is down inside the block and enabled again after it, even on error."""
        self.disable(name)
        try:
            yield
        finally:
            self.enable(name)

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{_name(name)}")

    def populate(self, proxies: list[dict[str, Any]]) -> list[ProxyInfo]:
        """``POST /populate``: create or replace proxies in one request (unchanged ones keep their
        toxics)."""
        answer = self._call("POST", "/populate", proxies)
        return [_proxy(data) for data in (answer.get("proxies") or [])]

    # ------------------------------------------------------------------ toxics

    def toxics(self, proxy: str) -> list[ToxicInfo]:
        return [_toxic(proxy, data) for data in self._call("GET", f"/proxies/{_name(proxy)}/toxics")]

    def add_toxic(self, proxy: str, type: str, attributes: dict[str, int] | None = None, *,
                  stream: str = "downstream", toxicity: float = 1.0, name: str | None = None) -> ToxicInfo:
        """Add a toxic (it applies to open connections at once); the name defaults to
        ``<type>_<stream>``, as on the server."""
        body: dict[str, Any] = {"type": type, "stream": stream, "toxicity": toxicity,
                                "attributes": attributes or {}}
        if name is not None:
            body["name"] = name
        return _toxic(proxy, self._call("POST", f"/proxies/{_name(proxy)}/toxics", body))

    def update_toxic(self, proxy: str, name: str, attributes: dict[str, int] | None = None, *,
                     toxicity: float | None = None) -> ToxicInfo:
        """Change some attributes and/or the toxicity; omitted ones keep their values."""
        body: dict[str, Any] = {}
        if attributes:
            body["attributes"] = attributes
        if toxicity is not None:
            body["toxicity"] = toxicity
        path = f"/proxies/{_name(proxy)}/toxics/{_name(name)}"
        return _toxic(proxy, self._call("POST", path, body))

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{_name(proxy)}/toxics/{_name(name)}")


def _message(content: bytes | str) -> str:
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
    try:
        return str(json.loads(text).get("error", text))
    except (ValueError, AttributeError):
        return text.strip()


def _proxy(data: dict[str, Any]) -> ProxyInfo:
    toxics = tuple(_toxic(data["name"], t) for t in data.get("toxics") or [])
    return ProxyInfo(data["name"], data["listen"], data["upstream"], data["enabled"], toxics)


def _toxic(proxy: str, data: dict[str, Any]) -> ToxicInfo:
    return ToxicInfo(proxy, data["name"], data["type"], data["stream"], data["toxicity"],
                     dict(data.get("attributes") or {}))
