"""noop: passes data through unchanged. Also what a toxic does on a connection it does not
apply to (toxicity), and the default type when a request names none."""

from __future__ import annotations

from ..stream import ToxicStub
from .base import Toxic, register


async def pass_through(stub: ToxicStub) -> None:
    """Copy input to output until the end of the stream, then close."""
    while True:
        chunk = await stub.input.get()
        if chunk is None:
            stub.close()
            return
        await stub.forward(chunk)


@register
class NoopToxic(Toxic):
    type_name = "noop"
    go_struct = "NoopToxic"

    async def pipe(self, stub: ToxicStub) -> None:
        await pass_through(stub)
