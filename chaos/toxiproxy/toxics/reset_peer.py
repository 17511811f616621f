"""reset_peer: on the first data (or end of stream) after the toxic starts, waits ``timeout`` ms
and then resets the connection: both sockets are closed with SO_LINGER 0, so peers see a TCP RST
("connection reset by peer"). The data that triggered it is dropped."""

from __future__ import annotations

import asyncio

from ..stream import ToxicStub
from .base import Attribute, Toxic, register


@register
class ResetPeerToxic(Toxic):
    type_name = "reset_peer"
    go_struct = "ResetToxic"
    attributes = (Attribute("timeout", "timeout_ms"),)
    timeout_ms: int

    async def pipe(self, stub: ToxicStub) -> None:
        await stub.input.get()
        if self.timeout_ms > 0:
            await asyncio.sleep(self.timeout_ms / 1000.0)
        stub.reset()
