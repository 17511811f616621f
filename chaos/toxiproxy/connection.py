"""A proxied connection: the client's socket, the upstream socket, and a link each way.

``proxy.py`` accepts a client socket and hands it to a :class:`Connection`, which pauses the
client (nothing is read before the upstream answers), dials the upstream with a deadline, then
starts two links (``link.py``) from the proxy's toxic collection: *upstream* (client → server)
and *downstream* (server → client). If the upstream cannot be reached the client is reset, as the
reference capture shows the real server doing.

Each socket is an :class:`Endpoint` (an asyncio protocol). An endpoint is the *source* of one
link and the *dest* of the other: its reads feed the first, its write-buffer signals throttle the
second. The connection ends when both sockets are closed; it then unregisters its links and
leaves the proxy. ``close`` (proxy disabled or deleted) cuts it with a FIN; ``request_reset``
(reset_peer) with an RST.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import TYPE_CHECKING, Callable

from .link import Direction, Link
from .netaddr import AddressError, parse_port, split_host_port

if TYPE_CHECKING:
    from .toxic_collection import ToxicCollection

__all__ = ["Connection", "Endpoint", "UPSTREAM_DIAL_TIMEOUT_S"]

log = logging.getLogger(__name__)

UPSTREAM_DIAL_TIMEOUT_S = 10.0
_LINGER_RST = struct.pack("ii", 1, 0)


class Endpoint(asyncio.Protocol):
    """One socket of a connection. ``data_received`` is replaced per instance by the link that
    reads this socket (in direct mode it is the other socket's ``write``)."""

    def __init__(self, connection: "Connection", role: str):
        self.connection = connection
        self.role = role  # "client" | "upstream"
        self.transport: asyncio.Transport | None = None
        self.reading_link: Link | None = None  # the link whose source is this socket
        self.writing_link: Link | None = None  # the link whose dest is this socket
        self.lost = False
        self._pause_reasons: set[str] = set()
        self.write: Callable[[bytes], None] = _discard

    # asyncio protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.write = transport.write  # type: ignore[attr-defined]
        self.connection.endpoint_made(self)

    def data_received(self, data: bytes) -> None:  # replaced per instance; see set_data_received
        pass

    def eof_received(self) -> bool:
        if self.reading_link is not None:
            self.reading_link.source_eof()
        return True  # keep the socket open for the other direction until its link closes it

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.write = _discard
        self.data_received = _discard  # type: ignore[method-assign]
        if self.writing_link is not None:
            self.writing_link.dest_lost()
        if self.reading_link is not None:
            self.reading_link.source_eof()
        self.connection.endpoint_lost(self)

    def pause_writing(self) -> None:
        if self.writing_link is not None:
            self.writing_link.dest_paused_writing()

    def resume_writing(self) -> None:
        if self.writing_link is not None:
            self.writing_link.dest_resumed_writing()

    # used by links
    def set_data_received(self, callback: Callable[[bytes], None]) -> None:
        if not self.lost:
            self.data_received = callback  # type: ignore[method-assign]

    def pause_reading(self, reason: str) -> None:
        if not self._pause_reasons and self.transport is not None and not self.lost:
            self.transport.pause_reading()
        self._pause_reasons.add(reason)

    def resume_reading(self, reason: str) -> None:
        if reason not in self._pause_reasons:
            return
        self._pause_reasons.discard(reason)
        if not self._pause_reasons and self.transport is not None and not self.lost:
            self.transport.resume_reading()

    def close(self, reset: bool = False) -> None:
        if self.transport is None or self.lost:
            return
        if reset:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
                except OSError:
                    pass
            self.transport.abort()
        else:
            self.transport.close()


def _discard(data: bytes) -> None:
    """Writes to a socket that is gone go nowhere."""


class Connection:
    """A client connection through a proxy (see module docstring)."""

    def __init__(self, proxy_name: str, upstream: str, toxics: "ToxicCollection",
                 on_done: Callable[["Connection"], None]):
        self.proxy_name = proxy_name
        self.upstream_addr = upstream
        self.toxics = toxics
        self.on_done = on_done
        self.client = Endpoint(self, "client")
        self.upstream = Endpoint(self, "upstream")
        self.links: list[Link] = []
        self.reset_requested = False
        self.closed = False
        self._dial: asyncio.Task | None = None

    def endpoint_made(self, endpoint: Endpoint) -> None:
        # Neither socket is read before both links exist: no byte may slip past the toxics.
        endpoint.pause_reading("dial")
        if endpoint is self.client:
            self._dial = asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        connected = False
        try:
            host, port_text = split_host_port(self.upstream_addr)
            port = parse_port(port_text)
            async with asyncio.timeout(UPSTREAM_DIAL_TIMEOUT_S):  # Go dials ":port" as the local system
                await loop.create_connection(lambda: self.upstream, host or "localhost", port)
            connected = True
        except (OSError, ValueError, AddressError, TimeoutError) as exc:
            log.info("proxy %s: upstream %s unreachable (%s); resetting the client",
                     self.proxy_name, self.upstream_addr, exc)
            self.client.close(reset=True)
        finally:
            self._dial = None
            if not connected:  # failed or cancelled: the connection may be over already
                self._maybe_done()
        if not connected:
            return
        if self.closed:
            self.upstream.close(reset=self.reset_requested)
            return
        up = self.toxics.start_link(self, Direction.UPSTREAM, self.client, self.upstream)
        down = self.toxics.start_link(self, Direction.DOWNSTREAM, self.upstream, self.client)
        self.links = [up, down]
        self.client.resume_reading("dial")
        self.upstream.resume_reading("dial")

    def endpoint_lost(self, endpoint: Endpoint) -> None:
        self._maybe_done()

    def _maybe_done(self) -> None:
        if self.client.lost and (self.upstream.lost or self.upstream.transport is None) and self._dial is None:
            for link in self.links:
                link.stop()
                self.toxics.remove_link(link)
            self.links = []
            self.on_done(self)

    def close_endpoint(self, endpoint: Endpoint) -> None:
        """A link ended its direction: close its dest (with an RST if a reset was requested)."""
        if self.reset_requested:
            self.close(reset=True)
        else:
            endpoint.close()

    def request_reset(self) -> None:
        """reset_peer fired: the whole connection ends with RSTs."""
        self.reset_requested = True
        self.close(reset=True)

    def close(self, reset: bool = False) -> None:
        """Cut the connection now (proxy disabled, deleted, or reset)."""
        self.closed = True
        if self._dial is not None:
            self._dial.cancel()
        for link in self.links:
            link.stop()
        self.client.close(reset=reset)
        self.upstream.close(reset=reset)
        if self.client.transport is None or self.client.lost:
            self._maybe_done()
