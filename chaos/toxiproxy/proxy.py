"""A proxy: a named listener that forwards each accepted connection to one upstream.

Toxiproxy's ``Proxy``. Enabled means listening: :meth:`Proxy.start` binds ``listen`` (Go address
rules and error texts, ``netaddr.py``) and records the address actually bound (``127.0.0.1:0``
becomes the real port, ``localhost`` becomes ``127.0.0.1``); :meth:`Proxy.stop` closes the
listener and cuts every open connection (clients see EOF), so a disabled proxy refuses new
connections. :meth:`Proxy.update` follows Go's ``Update``: a changed listen address is checked
first (a bad one changes nothing), then a changed listen or upstream restarts the proxy, then
``enabled`` is applied.
"""

from __future__ import annotations

import asyncio
import logging

from .connection import Connection
from .errors import ApiError
from .netaddr import (DNS_TIMEOUT_S, AddressError, ResolvedAddr, bind_listener, format_addr, resolve,
                      resolve_without_dns)
from .toxic_collection import ToxicCollection

__all__ = ["Proxy", "resolve_listen"]

log = logging.getLogger(__name__)


async def resolve_listen(listen: str) -> ResolvedAddr:
    """Resolve a listen address; DNS lookups run off the event loop, with a deadline."""
    literal = resolve_without_dns(listen)
    if literal is not None:
        return literal
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(DNS_TIMEOUT_S):
            return await loop.run_in_executor(None, resolve, listen)
    except TimeoutError:
        raise AddressError(f"lookup {listen}: i/o timeout") from None


class Proxy:
    """One proxy. ``listen`` is what the API shows: the bound address once started."""

    def __init__(self, name: str, listen: str, upstream: str):
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics = ToxicCollection()
        self.connections: set[Connection] = set()
        self._server: asyncio.base_events.Server | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "listen": self.listen, "upstream": self.upstream,
                "enabled": self.enabled, "Logger": {},
                "toxics": [w.to_json() for w in self.toxics.list()]}

    async def start(self) -> None:
        """Listen; on failure a 500 with Go's text, and the proxy stays disabled."""
        if self.enabled:
            return
        try:
            addr = await resolve_listen(self.listen)
        except AddressError as exc:
            raise ApiError(f"listen tcp: {exc}", 500) from None
        try:
            sock = bind_listener(addr)
        except AddressError as exc:
            raise ApiError(str(exc), 500) from None
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._accept, sock=sock)
        except BaseException:
            sock.close()
            raise
        host, port = sock.getsockname()[:2]
        self.listen = format_addr(host, port)
        self.enabled = True
        log.info("proxy %s listening on %s -> %s", self.name, self.listen, self.upstream)

    def stop(self) -> None:
        """Stop listening and cut all connections (FIN)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self.connections):
            connection.close()
        if self.enabled:
            log.info("proxy %s stopped", self.name)
        self.enabled = False

    def _accept(self):
        connection = Connection(self.name, self.upstream, self.toxics, self.connections.discard)
        self.connections.add(connection)
        return connection.client

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Apply a ``POST/PATCH /proxies/{name}`` (Go's ``Proxy.Update``)."""
        if listen != self.listen:
            try:
                await resolve_listen(listen)
            except AddressError as exc:
                raise ApiError(str(exc), 500) from None
        if listen != self.listen or upstream != self.upstream:
            self.stop()
            self.listen = listen
            self.upstream = upstream
        if enabled != self.enabled:
            if enabled:
                await self.start()
            else:
                self.stop()
