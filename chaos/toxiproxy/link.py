"""A link: one direction of one proxied connection, and the toxics applied to it.

Like Toxiproxy's ``ToxicLink``, a link copies bytes from a *source* socket to a *dest* socket
through the chain of toxics of its direction (upstream: client → server; downstream: server →
client), and follows changes to that chain while the connection is open. Two modes:

- **direct** (no toxics): the source socket's ``data_received`` *is* the dest transport's
  ``write`` — no Python code runs per chunk, which is what keeps the proxy fast. Back pressure:
  when the dest transport's buffer is full, the source stops reading.
- **chain** (toxics): chunks go through :class:`~.stream.ToxicStub` tasks joined by channels
  (``head`` is where the source feeds, ``tail`` is what the writer task drains into dest). A full
  head channel stops the source from reading.

Changes on a live link (``add_toxic``, ``update_toxic``, ``remove_toxic``) interrupt the toxics
concerned and rewire the channels, passing on any data held, exactly in order; when the last toxic
is gone and the tail is drained, the link returns to direct mode. When the stream ends (source
EOF) the end travels through the chain and the writer closes dest; a toxic can end it early
(``stub.close()``) or reset the connection (``stub.reset()``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from enum import IntEnum
from typing import TYPE_CHECKING

from .stream import Channel, Chunk, ToxicStub
from .toxics import pass_through

if TYPE_CHECKING:
    from .connection import Connection, Endpoint
    from .toxic_collection import ToxicWrapper

__all__ = ["Direction", "Link"]

log = logging.getLogger(__name__)

CHANNEL_CAPACITY = 16  # chunks; a toxic with a larger Go buffer size gets that instead


class Direction(IntEnum):
    """Toxiproxy's stream directions; the listing order of toxics follows these values."""

    UPSTREAM = 0  # client -> upstream server
    DOWNSTREAM = 1  # upstream server -> client

    @property
    def label(self) -> str:
        return self.name.lower()


def _drop(data: bytes) -> None:
    """``data_received`` of a link that is over: nothing will be written anywhere."""


class Link:
    """One direction of one connection. Invariant: ``stubs[i]`` runs ``wrappers[i]``, the i-th
    toxic of this direction's chain (``ToxicCollection`` calls the ``*_toxic`` methods in the same
    order it changes the chain)."""

    def __init__(self, connection: "Connection", direction: Direction, source: "Endpoint",
                 dest: "Endpoint", wrappers: list["ToxicWrapper"]):
        self.connection = connection
        self.direction = direction
        self.source = source
        self.dest = dest
        self.wrappers: list[ToxicWrapper] = []
        self.stubs: list[ToxicStub] = []
        self.mode = "direct"  # "direct" | "chain" | "done"
        self.head: Channel | None = None
        self.tail: Channel | None = None
        self.writer: asyncio.Task | None = None
        self.source_ended = False
        self.dest_paused = False
        self._dest_resumed: asyncio.Future | None = None
        self._initial = list(wrappers)
        self._loop = asyncio.get_running_loop()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Begin copying (the endpoints are connected)."""
        self._go_direct()
        for wrapper in self._initial:
            self.add_toxic(wrapper)
        self._initial = []

    def stop(self) -> None:
        """Stop all work of this link at once (the connection is being torn down)."""
        self.mode = "done"
        self.source.set_data_received(_drop)
        for stub in self.stubs:
            if stub.task is not None:
                stub.task.cancel()
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None

    # ------------------------------------------------------------------ source side

    def _feed_chain(self, data: bytes) -> None:
        head = self.head
        head.push(Chunk(data, self._loop.time()))
        if len(head) >= head.capacity and not head.closed:
            self.source.pause_reading("chain")

    def _head_has_space(self) -> None:
        self.source.resume_reading("chain")

    def _set_head(self, channel: Channel) -> None:
        if self.head is not None and self.head is not channel:
            self.head.on_space = None
        self.head = channel
        channel.on_space = self._head_has_space
        if len(channel) < channel.capacity:
            self.source.resume_reading("chain")

    def source_eof(self) -> None:
        """The source will send nothing more (FIN, error or closed)."""
        if self.source_ended:
            return
        self.source_ended = True
        if self.mode == "direct":
            self._finish()
        elif self.mode == "chain":
            self.head.close()

    # ------------------------------------------------------------------ dest side

    def dest_paused_writing(self) -> None:
        self.dest_paused = True
        if self.mode == "direct":
            self.source.pause_reading("dest")

    def dest_resumed_writing(self) -> None:
        self.dest_paused = False
        self.source.resume_reading("dest")
        if self._dest_resumed is not None and not self._dest_resumed.done():
            self._dest_resumed.set_result(None)

    def dest_lost(self) -> None:
        """The dest socket is gone: nothing more can be delivered in this direction."""
        if self.mode != "done":
            self.stop()

    def _finish(self) -> None:
        """End of this direction: close dest, as Toxiproxy does (``dest.Close()``)."""
        self.stop()
        self.connection.close_endpoint(self.dest)

    async def _write_loop(self) -> None:
        tail = self.tail
        write = self.dest.write
        while True:
            chunk = await tail.get()
            if chunk is None:
                self.writer = None
                self._finish()
                return
            write(chunk.data)
            if self.dest_paused:
                self._dest_resumed = self._loop.create_future()
                await self._dest_resumed
            if not self.stubs and not len(tail) and not tail.closed:
                self.writer = None
                self._go_direct()
                return

    # ------------------------------------------------------------------ modes

    def _go_direct(self) -> None:
        if self.mode == "done":
            return
        self.mode = "direct"
        if self.head is not None:
            self.head.on_space = None
            self.head = None
        self.source.resume_reading("chain")
        if self.dest_paused:
            self.source.pause_reading("dest")
        self.source.set_data_received(self.dest.write)

    def _go_chain(self, head: Channel) -> None:
        if self.tail is None:
            self.tail = Channel(CHANNEL_CAPACITY)
        self.mode = "chain"
        self.source.resume_reading("dest")  # the writer task handles dest back pressure now
        self._set_head(head)
        self.source.set_data_received(self._feed_chain)
        if self.writer is None:
            self.writer = self._loop.create_task(self._guard(self._write_loop(), "writer"))

    # ------------------------------------------------------------------ toxics

    def _run(self, stub: ToxicStub, wrapper: "ToxicWrapper") -> None:
        """Start (or restart) a stub; like Go, toxicity is rolled each time."""
        if random.random() < wrapper.toxicity:
            coroutine = wrapper.toxic.pipe(stub)
        else:
            coroutine = pass_through(stub)
        stub.task = self._loop.create_task(self._guard(coroutine, wrapper.name))

    def _interrupt(self, stub: ToxicStub) -> bool:
        """Stop a stub's toxic and pass on what it holds. False if the stub had closed."""
        if stub.closed:
            return False
        if stub.task is not None:
            stub.task.cancel()
            stub.task = None
        if stub.held is not None:
            stub.output.push(stub.held)
            stub.held = None
        return True

    async def _guard(self, coroutine, what: str) -> None:
        try:
            await coroutine
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a toxic: end the connection loudly, do not wedge it
            log.exception("toxic %s failed on a connection of proxy %s; closing it", what,
                          self.connection.proxy_name)
            self.connection.close()

    def add_toxic(self, wrapper: "ToxicWrapper") -> None:
        """Append a toxic at the end of the chain (Go's ``AddToxic``)."""
        if self.mode == "done":
            return
        channel_in = Channel(max(wrapper.toxic.buffer_size, CHANNEL_CAPACITY))
        if self.tail is None:
            self.tail = Channel(CHANNEL_CAPACITY)
        stub = ToxicStub(channel_in, self.tail)
        stub.on_reset = self.connection.request_reset
        stub.state = wrapper.toxic.new_state()
        if self.stubs:
            last = self.stubs[-1]
            if self._interrupt(last):
                last.output = channel_in
                self._run(last, self.wrappers[-1])
            else:  # the chain already ended at the last stub; keep the indices in step
                stub.closed = True
        else:
            self._go_chain(channel_in)
        self.stubs.append(stub)
        self.wrappers.append(wrapper)
        if not stub.closed:
            self._run(stub, wrapper)

    def update_toxic(self, index: int, wrapper: "ToxicWrapper") -> None:
        """Restart the toxic at ``index`` with its new settings (Go's ``UpdateToxic``)."""
        if self.mode == "done":
            return
        stub = self.stubs[index]
        self.wrappers[index] = wrapper
        if self._interrupt(stub):
            self._run(stub, wrapper)

    def remove_toxic(self, index: int) -> None:
        """Take the toxic at ``index`` out of the chain, keeping every byte in order."""
        if self.mode == "done":
            return
        stub = self.stubs.pop(index)
        wrapper = self.wrappers.pop(index)
        if not self._interrupt(stub):
            return
        wrapper.toxic.cleanup(stub)
        if stub.closed:  # the cleanup ended the stream (timeout)
            return
        previous = self.stubs[index - 1] if index > 0 else None
        previous_running = previous is not None and self._interrupt(previous)
        for chunk in stub.input.drain():
            stub.output.push(chunk)
        if stub.input.closed:
            stub.output.close()
        if previous is None:
            self._set_head(stub.output)
        elif previous_running:
            previous.output = stub.output
            self._run(previous, self.wrappers[index - 1])
        if not self.stubs and self.tail is not None and not len(self.tail) and not self.tail.closed:
            if self.writer is not None:
                self.writer.cancel()
                self.writer = None
            self._go_direct()

