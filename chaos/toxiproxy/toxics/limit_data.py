"""limit_data: closes the connection once ``bytes`` bytes have passed in this direction; the
chunk that crosses the limit is cut at it. The count survives toxic updates (per-connection
state)."""

from __future__ import annotations

from dataclasses import dataclass

from ..stream import Chunk, ToxicStub
from .base import Attribute, Toxic, register


@dataclass
class LimitDataState:
    transmitted_bytes: int = 0


@register
class LimitDataToxic(Toxic):
    type_name = "limit_data"
    go_struct = "LimitDataToxic"
    attributes = (Attribute("bytes", "limit_bytes"),)
    limit_bytes: int

    def new_state(self) -> LimitDataState:
        return LimitDataState()

    async def pipe(self, stub: ToxicStub) -> None:
        state: LimitDataState = stub.state
        while True:
            chunk = await stub.input.get()
            if chunk is None:
                stub.close()
                return
            remaining = max(self.limit_bytes - state.transmitted_bytes, 0)
            if remaining < len(chunk.data):
                chunk = Chunk(chunk.data[:remaining], chunk.timestamp)
            if chunk.data:
                # Counted before forwarding: if interrupted meanwhile, the chunk is passed on anyway.
                state.transmitted_bytes += len(chunk.data)
                await stub.forward(chunk)
            if self.limit_bytes - state.transmitted_bytes <= 0:
                stub.close()
                return
