"""The Toxiproxy HTTP API: routes, request decoding, answers — as Toxiproxy 2.12 gives them.

Routing is gorilla/mux's: routes match the percent-decoded path (so a ``%2F`` in a name splits
it); an unclean path (``//``, ``/./``) is redirected (301); a path no route knows is ``404 page
not found``; a known path with another method is a bare 405. Matched routes get an
``X-Toxiproxy-Request-Id``, and a browser (User-Agent ``Mozilla/...``) gets 403, as the real
server's middlewares do.

Handlers follow ``api.go`` and ``toxic_collection.go`` step by step (which check comes first,
which status, which text): see ``reference/toxiproxy-2.12-api.json`` for the captured answers
that the tests replay. Where the real server accepts input that it then mishandles or crashes on,
we answer 400 instead (``_check_*``); ``README.md`` lists each case.

All handlers run under one lock, like Go's collection mutex: API operations never interleave.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import quote

from .collection import ProxyCollection
from .errors import (ERR_INVALID_STREAM, ERR_INVALID_TOXIC_TYPE, ERR_TOXIC_ALREADY_EXISTS, ApiError,
                     bad_request_body, invalid_input, missing_field)
from .gojson import Field, GoJSONError, GoObject, Unmarshaller, decode_stream, encode, go_kind
from .httpwire import Request, Response
from .link import Direction
from .proxy import Proxy
from .toxic_collection import ToxicWrapper
from .toxics import Toxic, new_toxic

__all__ = ["API_VERSION", "ToxiproxyApi"]

API_VERSION = "2.12.0"  # the Toxiproxy API version this server implements

_JSON = {"Content-Type": "application/json"}
_PLAIN = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}

_PROXY_FIELDS = (Field("name", "string"), Field("listen", "string"), Field("upstream", "string"),
                 Field("enabled", "bool"), Field("Logger", "zerolog.Logger"))
_POPULATE_FIELDS = (Field("name", "string"), Field("listen", "string"), Field("upstream", "string"),
                    Field("enabled", "*bool"), Field("Logger", "zerolog.Logger"))
_POPULATE_ITEM_TYPE = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'
_WRAPPER_FIELDS = (Field("name", "string"), Field("type", "string"), Field("stream", "string"),
                   Field("toxicity", "float32"), Field("attributes", "toxics.NoopToxic"))
_UPDATE_TYPE = ('struct { Attributes interface {} "json:\\"attributes\\""; '
                'Toxicity float32 "json:\\"toxicity\\"" }')


# --------------------------------------------------------------------------- helpers


def _json(status: int, value: Any) -> Response:
    return Response(status, dict(_JSON), encode(value))


def _error(error: ApiError) -> Response:
    return Response(error.status, dict(_PLAIN), encode(error.to_json()) + b"\n")


def _decode(body: bytes) -> Any:
    try:
        return decode_stream(body)
    except GoJSONError as exc:
        raise bad_request_body(exc) from None


def _clean_path(path: str) -> str:
    """gorilla/mux's ``cleanPath``: Go's ``path.Clean``, keeping a trailing slash."""
    if path == "":
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        parts.append(segment)
    cleaned = "/" + "/".join(parts)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def _check_name(kind: str, name: str) -> None:
    """Ours: a name that cannot be addressed in a URL path would be stuck until restart."""
    if "/" in name or name in (".", ".."):
        raise invalid_input(f"{kind} name {name!r} cannot be addressed in a URL path "
                            "(it contains '/' or is '.' or '..')")


def _check_toxic(toxicity: float, toxic: Toxic) -> None:
    """Ours: the real server accepts these and then misbehaves (see README)."""
    if not 0.0 <= toxicity <= 1.0:
        raise invalid_input("toxicity must be between 0 and 1")
    problem = toxic.check()
    if problem:
        raise invalid_input(problem)


def _attribute_fields(toxic: Toxic) -> tuple[Field, ...]:
    return tuple(Field(a.json_name, a.go_type) for a in toxic.attributes)


class _RequestIds:
    """``X-Toxiproxy-Request-Id`` values in the xid format the real server uses (20 chars of
    base32hex: time, machine, pid, counter)."""

    def __init__(self) -> None:
        self._machine = socket.gethostname().encode()[:3].ljust(3, b"\0")
        self._pid = os.getpid() & 0xFFFF
        self._counter = int.from_bytes(os.urandom(3), "big")

    def next(self) -> str:
        self._counter = (self._counter + 1) & 0xFFFFFF
        raw = (struct.pack(">I", int(time.time()) & 0xFFFFFFFF) + self._machine
               + struct.pack(">H", self._pid) + self._counter.to_bytes(3, "big"))
        return base64.b32hexencode(raw).decode().rstrip("=").lower()[:20]


@dataclass(frozen=True)
class _Route:
    pattern: tuple[str, ...]
    methods: dict[str, str]  # HTTP method -> handler method name

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.pattern, segments):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


_ROUTES = (
    _Route(("reset",), {"POST": "reset"}),
    _Route(("proxies",), {"GET": "proxy_index", "POST": "proxy_create"}),
    _Route(("populate",), {"POST": "populate"}),
    _Route(("proxies", "{proxy}"), {"GET": "proxy_show", "POST": "proxy_update",
                                    "PATCH": "proxy_update", "DELETE": "proxy_delete"}),
    _Route(("proxies", "{proxy}", "toxics"), {"GET": "toxic_index", "POST": "toxic_create"}),
    _Route(("proxies", "{proxy}", "toxics", "{toxic}"), {"GET": "toxic_show", "POST": "toxic_update",
                                                         "PATCH": "toxic_update", "DELETE": "toxic_delete"}),
    _Route(("version",), {"GET": "version"}),
)


# --------------------------------------------------------------------------- the API


class ToxiproxyApi:
    """Request handler of the embedded server (``handle`` is what ``httpwire`` calls)."""

    def __init__(self, collection: ProxyCollection):
        self.collection = collection
        self._lock = asyncio.Lock()
        self._ids = _RequestIds()

    async def handle(self, request: Request) -> Response:
        path = request.path
        cleaned = _clean_path(path)
        if cleaned != path:
            location = quote(cleaned, safe="/:@!$&'()*+,;=-._~") + (f"?{request.query}" if request.query else "")
            return Response(301, {"Location": location})
        segments = cleaned[1:].split("/")
        for route in _ROUTES:
            params = route.match(segments)
            if params is None:
                continue
            name = route.methods.get(request.method)
            if name is None:
                return Response(405)
            headers = {"X-Toxiproxy-Request-Id": self._ids.next()}
            if (request.header("User-Agent") or "").startswith("Mozilla/"):
                response = Response(403, dict(_PLAIN), b"User agent not allowed\n")
            else:
                handler: Callable[..., Awaitable[Response]] = getattr(self, name)
                async with self._lock:
                    try:
                        response = await handler(request, **params)
                    except ApiError as error:
                        response = _error(error)
            response.headers.update(headers)
            return response
        return Response(404, dict(_PLAIN), b"404 page not found\n")

    # ------------------------------------------------------------------ server

    async def version(self, request: Request) -> Response:
        body = encode({"version": API_VERSION}).replace(b":", b": ") + b"\n"
        return Response(200, {"Content-Type": "application/json;charset=utf-8"}, body)

    async def reset(self, request: Request) -> Response:
        await self.collection.reset()
        return Response(204)

    # ------------------------------------------------------------------ proxies

    async def proxy_index(self, request: Request) -> Response:
        return _json(200, {p.name: p.to_json() for p in self.collection.sorted()})

    async def proxy_create(self, request: Request) -> Response:
        unmarshal = Unmarshaller()
        obj = unmarshal.top_level_object(_decode(request.body), "toxiproxy.Proxy")
        fields = unmarshal.struct(obj, _PROXY_FIELDS, "Proxy") if obj is not None else {}
        if unmarshal.error:
            raise bad_request_body(unmarshal.error)
        name = fields.get("name", "")
        upstream = fields.get("upstream", "")
        if not name:
            raise missing_field("name")
        if not upstream:
            raise missing_field("upstream")
        _check_name("proxy", name)
        proxy = Proxy(name, fields.get("listen", ""), upstream)
        await self.collection.add(proxy, fields.get("enabled", True))
        return _json(201, proxy.to_json())

    async def proxy_show(self, request: Request, proxy: str) -> Response:
        return _json(200, self.collection.get(proxy).to_json())

    async def proxy_update(self, request: Request, proxy: str) -> Response:
        target = self.collection.get(proxy)
        unmarshal = Unmarshaller()
        obj = unmarshal.top_level_object(_decode(request.body), "toxiproxy.Proxy")
        fields = unmarshal.struct(obj, _PROXY_FIELDS, "Proxy") if obj is not None else {}
        if unmarshal.error:
            raise bad_request_body(unmarshal.error)
        await target.update(fields.get("listen", target.listen), fields.get("upstream", target.upstream),
                            fields.get("enabled", target.enabled))
        return _json(200, target.to_json())

    async def proxy_delete(self, request: Request, proxy: str) -> Response:
        self.collection.remove(proxy)
        return Response(204)

    async def populate(self, request: Request) -> Response:
        return await self.populate_json(request.body)

    async def populate_json(self, body: bytes) -> Response:
        """``POST /populate`` (also the server's ``--config`` file): create or replace proxies."""
        created: list[Proxy] = []
        try:
            entries = self._populate_entries(_decode(body))
            for entry in entries:
                proxy = Proxy(entry["name"], entry.get("listen", ""), entry["upstream"])
                created.append(await self.collection.add_or_replace(proxy, entry["enabled"]))
        except ApiError as error:
            payload = {**error.to_json(), "proxies": [p.to_json() for p in created] or None}
            return _json(error.status, payload)
        return _json(201, {"proxies": [p.to_json() for p in created] or None})

    @staticmethod
    def _populate_entries(value: Any) -> list[dict[str, Any]]:
        unmarshal = Unmarshaller()
        items = unmarshal.top_level_array(value, f"[]{_POPULATE_ITEM_TYPE}") or []
        entries: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, GoObject):
                entries.append(unmarshal.struct(item, _POPULATE_FIELDS, ""))
            else:
                if item is not None:
                    unmarshal.top_level_object(item, _POPULATE_ITEM_TYPE)
                entries.append({})
        if unmarshal.error:
            raise bad_request_body(unmarshal.error)
        for number, entry in enumerate(entries, start=1):
            if not entry.get("name"):
                raise missing_field(f"name at proxy {number}")
            if not entry.get("upstream"):
                raise missing_field(f"upstream at proxy {number}")
            if entry.get("enabled") is None:
                entry["enabled"] = True
        for entry in entries:
            _check_name("proxy", entry["name"])
        return entries

    # ------------------------------------------------------------------ toxics

    async def toxic_index(self, request: Request, proxy: str) -> Response:
        target = self.collection.get(proxy)
        return _json(200, [w.to_json() for w in target.toxics.list()])

    async def toxic_create(self, request: Request, proxy: str) -> Response:
        target = self.collection.get(proxy)
        unmarshal = Unmarshaller()
        obj = unmarshal.top_level_object(_decode(request.body), "toxics.ToxicWrapper")
        raw_attributes: list[Any] = [None]

        def take_attributes(value: Any) -> None:  # first pass: into a NoopToxic, as Go does
            if not isinstance(value, GoObject) and value is not None:
                unmarshal.type_error(go_kind(value), "ToxicWrapper", "attributes", "toxics.NoopToxic")
            raw_attributes[0] = value

        fields = (unmarshal.struct(obj, _WRAPPER_FIELDS, "ToxicWrapper", custom={"attributes": take_attributes})
                  if obj is not None else {})
        if unmarshal.error:
            raise bad_request_body(unmarshal.error)
        stream = fields.get("stream", "downstream")
        direction = {"upstream": Direction.UPSTREAM, "downstream": Direction.DOWNSTREAM}.get(stream.lower())
        if direction is None:
            raise ERR_INVALID_STREAM
        toxic_type = fields.get("type", "")
        name = fields.get("name", "") or f"{toxic_type}_{stream}"
        toxic = new_toxic(toxic_type)
        if toxic is None:
            raise ERR_INVALID_TOXIC_TYPE
        if target.toxics.find(name) is not None:
            raise ERR_TOXIC_ALREADY_EXISTS
        if isinstance(raw_attributes[0], GoObject):  # second pass: into the toxic's own struct
            second = Unmarshaller()
            values = second.struct(raw_attributes[0], _attribute_fields(toxic), toxic.go_struct, "attributes.")
            if second.error:
                raise bad_request_body(second.error)
            toxic = toxic.with_values(values)
        toxicity = fields.get("toxicity", 1.0)
        _check_name("toxic", name)
        _check_toxic(toxicity, toxic)
        wrapper = ToxicWrapper(name, toxic_type, stream, toxicity, direction, toxic)
        target.toxics.add(wrapper)
        return _json(200, wrapper.to_json())

    async def toxic_show(self, request: Request, proxy: str, toxic: str) -> Response:
        target = self.collection.get(proxy)
        return _json(200, target.toxics.get(toxic).to_json())

    async def toxic_update(self, request: Request, proxy: str, toxic: str) -> Response:
        target = self.collection.get(proxy)
        wrapper = target.toxics.get(toxic)
        unmarshal = Unmarshaller()
        obj = unmarshal.top_level_object(_decode(request.body), _UPDATE_TYPE)
        values: dict[str, int] = {}

        def take_attributes(value: Any) -> None:  # decoded into the existing toxic's struct
            if isinstance(value, GoObject):
                values.update(unmarshal.struct(value, _attribute_fields(wrapper.toxic),
                                               wrapper.toxic.go_struct, "attributes."))
            elif value is not None:
                unmarshal.type_error(go_kind(value), "", "attributes", f"toxics.{wrapper.toxic.go_struct}")

        fields = (unmarshal.struct(obj, (Field("attributes", "-"), Field("toxicity", "float32")), "",
                                   custom={"attributes": take_attributes}) if obj is not None else {})
        if unmarshal.error:
            raise bad_request_body(unmarshal.error)
        updated = wrapper.toxic.with_values(values)
        toxicity = fields.get("toxicity", wrapper.toxicity)
        _check_toxic(toxicity, updated)
        target.toxics.update(wrapper, updated, toxicity)
        return _json(200, wrapper.to_json())

    async def toxic_delete(self, request: Request, proxy: str, toxic: str) -> Response:
        target = self.collection.get(proxy)
        target.toxics.remove(toxic)
        return Response(204)
