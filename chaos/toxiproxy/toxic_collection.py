"""A proxy's toxics: two ordered chains (upstream, downstream) and the live links they act on.

Toxiproxy's ``ToxicCollection``: the API adds, updates and removes toxics here, and every change
is applied at once to each open connection's link of that direction (``link.py``), in chain
order, so a new toxic lands at the end of every live chain. :class:`ToxicWrapper` is one toxic
with its API fields (name, type, stream as given, toxicity) and JSON form.

Listing order, as in Go: the upstream chain, then the downstream chain, each in insertion order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ERR_TOXIC_ALREADY_EXISTS, ERR_TOXIC_NOT_FOUND
from .gojson import Float32
from .link import Direction, Link
from .toxics import Toxic

if TYPE_CHECKING:
    from .connection import Connection, Endpoint

__all__ = ["ToxicCollection", "ToxicWrapper"]


@dataclass
class ToxicWrapper:
    """One toxic of a proxy: ``stream`` is echoed as given ("UpStream" stays so), ``toxicity``
    is already rounded to a float32, ``toxic`` holds the type and attributes."""

    name: str
    type: str
    stream: str
    toxicity: float
    direction: Direction
    toxic: Toxic

    def to_json(self) -> dict:
        return {"attributes": self.toxic.to_json(), "name": self.name, "type": self.type,
                "stream": self.stream, "toxicity": Float32(self.toxicity)}


class ToxicCollection:
    """The toxic chains of one proxy and the links currently applying them."""

    def __init__(self) -> None:
        self.chains: dict[Direction, list[ToxicWrapper]] = {d: [] for d in Direction}
        self.links: dict[Direction, set[Link]] = {d: set() for d in Direction}

    def list(self) -> list[ToxicWrapper]:
        return [w for d in Direction for w in self.chains[d]]

    def find(self, name: str) -> ToxicWrapper | None:
        for wrapper in self.list():
            if wrapper.name == name:
                return wrapper
        return None

    def get(self, name: str) -> ToxicWrapper:
        wrapper = self.find(name)
        if wrapper is None:
            raise ERR_TOXIC_NOT_FOUND
        return wrapper

    def add(self, wrapper: ToxicWrapper) -> None:
        if self.find(wrapper.name) is not None:
            raise ERR_TOXIC_ALREADY_EXISTS
        self.chains[wrapper.direction].append(wrapper)
        for link in list(self.links[wrapper.direction]):
            link.add_toxic(wrapper)

    def update(self, wrapper: ToxicWrapper, toxic: Toxic, toxicity: float) -> None:
        """Give a toxic new attributes and toxicity; live links restart it."""
        wrapper.toxic = toxic
        wrapper.toxicity = toxicity
        index = self.chains[wrapper.direction].index(wrapper)
        for link in list(self.links[wrapper.direction]):
            link.update_toxic(index, wrapper)

    def remove(self, name: str) -> None:
        wrapper = self.get(name)
        chain = self.chains[wrapper.direction]
        index = chain.index(wrapper)
        del chain[index]
        for link in list(self.links[wrapper.direction]):
            link.remove_toxic(index)

    def reset(self) -> None:
        """Remove every toxic (``POST /reset``), upstream chain first, as Go does."""
        for direction in Direction:
            while self.chains[direction]:
                self.remove(self.chains[direction][0].name)

    def start_link(self, connection: "Connection", direction: Direction, source: "Endpoint",
                   dest: "Endpoint") -> Link:
        link = Link(connection, direction, source, dest, self.chains[direction])
        source.reading_link = link
        dest.writing_link = link
        self.links[direction].add(link)
        link.start()
        return link

    def remove_link(self, link: Link) -> None:
        self.links[link.direction].discard(link)
