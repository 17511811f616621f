"""timeout: stops all data (it is dropped, as in Toxiproxy 2.x) and closes the connection after
``timeout`` ms; with 0 the connection stays open and silent until the toxic is removed. Removing
the toxic closes the connections it was applied to (Toxiproxy's ``Cleanup``): the data dropped
meanwhile is gone, so carrying on would corrupt the stream."""

from __future__ import annotations

import asyncio

from ..stream import ToxicStub
from .base import Attribute, Toxic, register


async def _drop_input(stub: ToxicStub) -> None:
    """Discard everything that arrives; after the end of the stream, wait to be cancelled."""
    while True:
        chunk = await stub.input.get()
        if chunk is None:
            await asyncio.get_running_loop().create_future()  # until interrupted or timed out


@register
class TimeoutToxic(Toxic):
    type_name = "timeout"
    go_struct = "TimeoutToxic"
    attributes = (Attribute("timeout", "timeout_ms"),)
    timeout_ms: int

    async def pipe(self, stub: ToxicStub) -> None:
        if self.timeout_ms <= 0:
            await _drop_input(stub)
            return
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + self.timeout_ms / 1000.0):
                await _drop_input(stub)
        except TimeoutError:
            stub.close()

    def cleanup(self, stub: ToxicStub) -> None:
        stub.close()
