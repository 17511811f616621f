"""Stream plumbing of a toxic pipeline: chunks, bounded channels and the per-toxic stub.

This is Toxiproxy's ``stream`` package and ``ToxicStub`` redone for asyncio. One direction of a
proxied connection with toxics is a pipeline (see ``link.py``)::

    source socket ─▶ Channel ─▶ [stub: toxic 1] ─▶ Channel ─▶ [stub: toxic 2] ─▶ Channel ─▶ writer ─▶ dest

- :class:`Chunk` is a piece of data with the time it was read (latency is measured from it).
- :class:`Channel` is Go's ``chan *StreamChunk``: bounded (a full channel makes the producer
  wait, which pauses the source socket: back pressure) and *sticky-closed*: once closed and
  drained, :meth:`Channel.get` returns ``None`` forever, like receiving from a closed Go channel.
- :class:`ToxicStub` is what a toxic's ``pipe`` works on: an input, an output, optional
  per-connection state, and ``held`` — the data the toxic has taken but not yet passed on.

Interrupting a toxic (to add, change or remove toxics on a live connection) cancels its task and
passes ``held`` on, so no byte is lost; that is safe because a channel appends or removes an item
only in synchronous code, never across an ``await``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable

__all__ = ["Channel", "Chunk", "ToxicStub"]


class Chunk:
    """Bytes read from a socket and the loop time (seconds) at which they were read."""

    __slots__ = ("data", "timestamp")

    def __init__(self, data: bytes, timestamp: float):
        self.data = data
        self.timestamp = timestamp

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Chunk({len(self.data)} bytes @ {self.timestamp:.6f})"


class Channel:
    """A bounded FIFO of chunks between two stages; closing is sticky (see module docstring).

    ``put`` waits while the channel holds ``capacity`` items; ``push`` never waits (for data that
    must not be dropped: interrupted toxics, the socket reader). ``on_space`` is called after an
    item is taken while fewer than ``capacity`` items remain (the reader resumes the socket).
    """

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self.closed = False
        self.on_space: Callable[[], None] | None = None
        self._items: deque[Chunk] = deque()
        self._getters: deque[asyncio.Future] = deque()
        self._putters: deque[asyncio.Future] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def full(self) -> bool:
        return len(self._items) >= self.capacity

    @staticmethod
    def _wake(waiters: deque[asyncio.Future]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_all(self, waiters: deque[asyncio.Future]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def push(self, chunk: Chunk) -> None:
        """Append without waiting (beyond capacity if need be). Dropped if the channel is closed:
        nothing reads past the end of a stream."""
        if self.closed:
            return
        self._items.append(chunk)
        self._wake(self._getters)

    async def put(self, chunk: Chunk) -> None:
        """Append, waiting while the channel is full. If cancelled, nothing was appended."""
        while len(self._items) >= self.capacity and not self.closed:
            waiter = asyncio.get_running_loop().create_future()
            self._putters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._putters:
                    self._putters.remove(waiter)
        self.push(chunk)

    async def get(self) -> Chunk | None:
        """Take the oldest chunk; ``None`` once the channel is closed and empty. If cancelled,
        nothing was taken."""
        while not self._items:
            if self.closed:
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
        chunk = self._items.popleft()
        self._after_take()
        return chunk

    def drain(self) -> list[Chunk]:
        """Take every queued chunk at once (used when a toxic is removed from a live link)."""
        items = list(self._items)
        self._items.clear()
        self._after_take()
        return items

    def _after_take(self) -> None:
        if len(self._items) < self.capacity:
            self._wake_all(self._putters)
            if self.on_space is not None:
                self.on_space()

    def close(self) -> None:
        """End of stream: readers get what is queued, then ``None`` forever."""
        if self.closed:
            return
        self.closed = True
        self._wake_all(self._getters)
        self._wake_all(self._putters)


class ToxicStub:
    """One toxic's place in one link: where it reads, where it writes, and what it holds.

    Invariants: ``held`` is data taken from ``input`` and not yet appended to ``output`` (the link
    passes it on if the toxic is interrupted); once ``closed``, the stub's output is closed and
    the stub is never run again.
    """

    def __init__(self, input: Channel, output: Channel):
        self.input = input
        self.output = output
        self.state: Any = None
        self.held: Chunk | None = None
        self.closed = False
        self.task: asyncio.Task | None = None
        self.on_reset: Callable[[], None] | None = None

    async def forward(self, chunk: Chunk) -> None:
        """Pass a chunk on; while waiting for room, the chunk counts as held."""
        self.held = chunk
        await self.output.put(chunk)
        self.held = None

    def close(self) -> None:
        """End this direction of the connection after what was already passed on."""
        if not self.closed:
            self.closed = True
            self.output.close()

    def reset(self) -> None:
        """End the whole connection with a TCP RST (reset_peer), then close like :meth:`close`."""
        if self.on_reset is not None:
            self.on_reset()
        self.close()
