"""latency: delays each chunk by ``latency`` ms ± ``jitter`` ms (uniform in [-jitter, jitter)).

The delay is measured from when the chunk was read, so chunks in flight overlap (the pipeline is
not slowed to one chunk per delay) and several latency toxics add up. Interrupted while waiting,
the chunk is passed on at once (Toxiproxy: "don't drop any data on the floor").
"""

from __future__ import annotations

import asyncio
import random

from ..stream import ToxicStub
from .base import Attribute, Toxic, register


@register
class LatencyToxic(Toxic):
    type_name = "latency"
    go_struct = "LatencyToxic"
    attributes = (Attribute("latency", "latency_ms"), Attribute("jitter", "jitter_ms"))
    buffer_size = 1024
    latency_ms: int
    jitter_ms: int

    def delay_s(self) -> float:
        delay_ms = self.latency_ms
        if self.jitter_ms > 0:
            delay_ms += random.randrange(-self.jitter_ms, self.jitter_ms)
        return delay_ms / 1000.0

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        while True:
            chunk = await stub.input.get()
            if chunk is None:
                stub.close()
                return
            stub.held = chunk
            sleep_s = self.delay_s() - (loop.time() - chunk.timestamp)
            if sleep_s > 0:
                await asyncio.sleep(sleep_s)
            chunk.timestamp += sleep_s
            await stub.forward(chunk)
