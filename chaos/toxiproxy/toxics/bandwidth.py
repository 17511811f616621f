"""bandwidth: limits the rate to ``rate`` KB/s (1 KB = 1000 bytes; 0 means no limit).

As in Toxiproxy, a chunk larger than 100 ms worth of data is sent in 100 ms pieces, and the time
a chunk "costs" accumulates across chunks, corrected by how long each wait really took.
"""

from __future__ import annotations

import asyncio

from ..stream import Chunk, ToxicStub
from .base import Attribute, Toxic, register

_PIECE_S = 0.1


@register
class BandwidthToxic(Toxic):
    type_name = "bandwidth"
    go_struct = "BandwidthToxic"
    attributes = (Attribute("rate", "rate_kbps"),)
    rate_kbps: int

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        rate_bytes_per_s = self.rate_kbps * 1000
        piece_bytes = self.rate_kbps * 100  # what passes in 100 ms
        debt_s = 0.0
        while True:
            chunk = await stub.input.get()
            if chunk is None:
                stub.close()
                return
            stub.held = chunk
            if self.rate_kbps <= 0:
                debt_s = 0.0
            else:
                debt_s += len(chunk.data) / rate_bytes_per_s
                while len(chunk.data) > piece_bytes:
                    await asyncio.sleep(_PIECE_S)
                    await stub.output.put(Chunk(chunk.data[:piece_bytes], chunk.timestamp))
                    chunk = Chunk(chunk.data[piece_bytes:], chunk.timestamp)
                    stub.held = chunk
                    debt_s -= _PIECE_S
            started = loop.time()
            if debt_s > 0:
                await asyncio.sleep(debt_s)
            debt_s -= loop.time() - started
            await stub.forward(chunk)
