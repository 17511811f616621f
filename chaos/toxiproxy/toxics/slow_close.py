"""slow_close: delays the close of the connection by ``delay`` ms after the stream ends; data
passes unchanged."""

from __future__ import annotations

import asyncio

from ..stream import ToxicStub
from .base import Attribute, Toxic, register


@register
class SlowCloseToxic(Toxic):
    type_name = "slow_close"
    go_struct = "SlowCloseToxic"
    attributes = (Attribute("delay", "delay_ms"),)
    delay_ms: int

    async def pipe(self, stub: ToxicStub) -> None:
        while True:
            chunk = await stub.input.get()
            if chunk is None:
                await asyncio.sleep(self.delay_ms / 1000.0)
                stub.close()
                return
            await stub.forward(chunk)
