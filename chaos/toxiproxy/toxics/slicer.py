"""slicer: cuts each chunk into slices of about ``average_size`` bytes (± ``size_variation``) and
waits ``delay`` µs after each slice, to exercise clients' handling of partial reads.

Toxiproxy 2.12 accepts ``average_size`` 0 (infinite recursion: the server dies) and
``size_variation`` ≥ ``average_size`` (slice bounds out of range: the server dies); we refuse both
with a 400 (``check``). With ``size_variation`` < ``average_size`` every cut lands strictly
inside the piece being cut, so slicing always ends.
"""

from __future__ import annotations

import asyncio
import random

from ..stream import Chunk, ToxicStub
from .base import Attribute, Toxic, register


@register
class SlicerToxic(Toxic):
    type_name = "slicer"
    go_struct = "SlicerToxic"
    attributes = (Attribute("average_size", "average_size_bytes", "int"),
                  Attribute("size_variation", "size_variation_bytes", "int"),
                  Attribute("delay", "delay_us", "int"))
    average_size_bytes: int
    size_variation_bytes: int
    delay_us: int

    def check(self) -> str | None:
        problem = super().check()
        if problem:
            return problem
        if self.average_size_bytes < 1:
            return "slicer: average_size must be at least 1"
        if self.size_variation_bytes >= self.average_size_bytes:
            return "slicer: size_variation must be smaller than average_size"
        return None

    def slices(self, size: int) -> list[tuple[int, int]]:
        """(start, end) offsets of the slices of a ``size``-byte chunk, in order; the same
        halving-with-variation as Toxiproxy's recursive ``chunk``, done with a stack."""
        average, variation = self.average_size_bytes, self.size_variation_bytes
        result: list[tuple[int, int]] = []
        stack = [(0, size)]
        while stack:
            start, end = stack.pop()
            if (end - start) - average <= variation:
                result.append((start, end))
                continue
            middle = start + (end - start) // 2
            if variation > 0:
                middle += random.randrange(-variation, variation)
            stack.append((middle, end))
            stack.append((start, middle))
        return result

    async def pipe(self, stub: ToxicStub) -> None:
        delay_s = self.delay_us / 1_000_000
        while True:
            chunk = await stub.input.get()
            if chunk is None:
                stub.close()
                return
            data = chunk.data
            for start, end in self.slices(len(data)):
                stub.held = Chunk(data[start:], chunk.timestamp)
                await stub.output.put(Chunk(data[start:end], chunk.timestamp))
                stub.held = Chunk(data[end:], chunk.timestamp) if end < len(data) else None
                await asyncio.sleep(delay_s)
