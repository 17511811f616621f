"""The toxic interface and the registry of toxic types by name.

A toxic type is a subclass of :class:`Toxic` that declares its JSON attributes (in Go's field
order, with Go's integer types so that bad input is refused with Go's messages) and implements one
method, ``pipe(stub)``: read chunks from ``stub.input`` until it yields ``None`` (end of stream),
write them to ``stub.output`` (delayed, sliced, dropped...), and call ``stub.close()`` to end the
direction. ``pipe`` is cancelled when the toxic is interrupted; it must not catch
``CancelledError``, and data it took but did not pass on must be in ``stub.held`` (use
``stub.forward``). Optional hooks: ``new_state`` (per-connection state that survives
interruptions), ``cleanup`` (called when the toxic is removed from a live connection), and
``check`` (our extra validation: a message for a 400, for input the real server accepts and then
mishandles).

Register a type with ``@register``; ``toxics/__init__.py`` imports every type module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..stream import ToxicStub

__all__ = ["Attribute", "Toxic", "register", "REGISTRY", "new_toxic"]


@dataclass(frozen=True)
class Attribute:
    """One toxic attribute: its JSON name, the Python attribute (with its unit), its Go type."""

    json_name: str
    python_name: str
    go_type: str = "int64"


class Toxic:
    """Base class of every toxic type. Instances hold attribute values only (shared by all
    connections); per-connection data lives in ``stub.state``."""

    type_name: ClassVar[str] = ""
    go_struct: ClassVar[str] = ""
    attributes: ClassVar[tuple[Attribute, ...]] = ()
    buffer_size: ClassVar[int] = 0  # Go's GetBufferSize: capacity of the channel feeding this toxic

    def __init__(self, **values: int):
        for attribute in self.attributes:
            setattr(self, attribute.python_name, values.get(attribute.json_name, 0))

    def to_json(self) -> dict[str, int]:
        return {a.json_name: getattr(self, a.python_name) for a in self.attributes}

    def with_values(self, values: dict[str, int]) -> "Toxic":
        """A copy with some attributes (by JSON name) replaced."""
        merged = self.to_json()
        merged.update(values)
        return type(self)(**merged)

    def check(self) -> str | None:
        """Our validation beyond Go's: every attribute is a count or a duration, so it must not
        be negative. Subclasses add their own rules."""
        for attribute in self.attributes:
            if getattr(self, attribute.python_name) < 0:
                return f"{self.type_name}: attribute {attribute.json_name} must not be negative"
        return None

    def new_state(self) -> Any:
        return None

    def cleanup(self, stub: ToxicStub) -> None:
        """Called when the toxic is removed from a live connection (after interruption)."""

    async def pipe(self, stub: ToxicStub) -> None:
        raise NotImplementedError


REGISTRY: dict[str, type[Toxic]] = {}


def register(cls: type[Toxic]) -> type[Toxic]:
    """Class decorator: make a toxic type available under its ``type_name``."""
    if not cls.type_name or cls.type_name in REGISTRY:
        raise ValueError(f"toxic type name {cls.type_name!r} is empty or registered twice")
    REGISTRY[cls.type_name] = cls
    return cls


def new_toxic(type_name: str) -> Toxic | None:
    """A toxic of the named type with zero attributes, or ``None`` for an unknown type."""
    cls = REGISTRY.get(type_name)
    return cls() if cls is not None else None
