"""Broker kinds as data (``chaos/brokers.toml``): each kind's durability modes, and for each mode
what its server is given. Imports nothing of ours but chaos.tomlines; the infra drivers, profiles and expectations read
it, so a kind or a mode is added there, not in code."""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chaos.tomlines import where

BROKERS_FILE = Path(__file__).with_name("brokers.toml")
# The faults that hurt the broker's data, so their cells vary its durability mode (the "@mode" shown
# with the fault); every other fault runs with the kind's default mode.
DURABILITY_FAULTS = ("restart-broker", "kill-broker")


class BrokerError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerKind:
    name: str
    title: str
    default: str  # the durability mode of the faults that do not vary it
    durability: dict[str, dict]  # mode -> {"server": [options], "client": {settings}}
    url: str  # how clients address it, {port} the port they connect to
    results: str = "self"  # where results and task state live: "self", or the kind run beside it
    results_durability: str | None = None  # that kind's mode
    server_settings: tuple[str, ...] = ()  # profile settings its server is started with
    settled: str | None = None  # module:function probe: has it written what it acknowledged (chaos/infra/settle.py)
    receipts: str | None = None  # module:Class: which task ids it has received (chaos/infra/receipts.py)
    memory: str | None = None  # module:Class: puts it under memory pressure (chaos/infra/memory.py)
    eviction_policies: tuple[str, ...] = ()  # the policies that pressure is applied under, a fault each

    def url_for(self, port: int) -> str:
        return self.url.format(port=port)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.durability)

    def _mode(self, mode: str) -> dict:
        try:
            return self.durability[mode]
        except KeyError:
            raise BrokerError(f"unknown {self.title} durability mode {mode!r}; choose one of {', '.join(self.modes)} "
                              f"({BROKERS_FILE})") from None

    def options(self, mode: str) -> list[str]:
        """The server's command-line options for ``mode``."""
        return list(self._mode(mode).get("server", []))

    def _load(self, key: str):
        value = getattr(self, key)
        if not value:
            return None
        module, _, attr = value.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise BrokerError(f"{where(BROKERS_FILE, self.name, key)}: [{self.name}] {key} = {value!r} "
                              f"cannot be loaded ({exc}): name an importable module:attribute") from exc

    def settle_probe(self):
        """The function ``settled`` names (url -> {"settled": bool, ...}), or None: the kind has none."""
        return self._load("settled")

    def receipts_class(self):
        """The class ``receipts`` names (url -> open(), wait(ids, deadline_s), close()), or None."""
        return self._load("receipts")

    def memory_class(self):
        """The class ``memory`` names (url -> squeeze(policy), relieve()), or None."""
        return self._load("memory")

    def client(self, mode: str) -> dict:
        """What the clients must declare for ``mode`` (queue type, durable queue, persistent messages)."""
        return dict(self._mode(mode).get("client", {}))


@cache
def broker_kinds(path: Path = BROKERS_FILE) -> dict[str, BrokerKind]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BrokerError(f"{path}: malformed TOML: {exc}") from exc
    kinds = {}
    for name, raw in data.items():
        missing = [k for k in ("title", "url", "default", "durability") if k not in raw]
        if missing:
            raise BrokerError(f"{path}: [{name}] lacks {', '.join(missing)}")
        if raw["default"] not in raw["durability"]:
            raise BrokerError(f"{where(path, name, 'default')}: [{name}] default = {raw['default']!r} is none of its durability modes "
                              f"({', '.join(raw['durability'])})")
        for mode, spec in raw["durability"].items():
            if not isinstance(spec, dict) or set(spec) - {"server", "client"}:
                raise BrokerError(f"{path}: [{name}.durability.{mode}] holds server (options) and client (settings) only")
        unknown = sorted(set(raw) - {"title", "url", "results", "results_durability", "server_settings", "default",
                                     "durability", "settled", "receipts", "memory", "eviction_policies"})
        if unknown:
            raise BrokerError(f"{where(path, name)}: [{name}] has unknown keys {', '.join(unknown)}")
        kinds[name] = BrokerKind(name, raw["title"], raw["default"], dict(raw["durability"]), raw["url"],
                                 raw.get("results", "self"), raw.get("results_durability"),
                                 tuple(raw.get("server_settings", ())), raw.get("settled"), raw.get("receipts"),
                                 raw.get("memory"), tuple(raw.get("eviction_policies", ())))
        if bool(kinds[name].memory) != bool(kinds[name].eviction_policies):
            raise BrokerError(f"{where(path, name)}: [{name}] names memory and eviction_policies together, or neither: "
                              "a memory-pressure fault needs both")
    for kind in kinds.values():
        if kind.results != "self" and (kind.results not in kinds or kinds[kind.results].results != "self"):
            raise BrokerError(f"{where(path, kind.name, 'results')}: [{kind.name}] results = {kind.results!r}: name \"self\" or a kind that keeps "
                              f"its own results ({', '.join(k for k, v in kinds.items() if v.results == 'self')})")
        if kind.results != "self" and kind.results_durability not in kinds[kind.results].modes:
            raise BrokerError(f"{where(path, kind.name, 'results_durability')}: [{kind.name}] results_durability = {kind.results_durability!r} is none of "
                              f"{kind.results}'s modes ({', '.join(kinds[kind.results].modes)})")
    return kinds


def broker_kind(name: str) -> BrokerKind:
    try:
        return broker_kinds()[name]
    except KeyError:
        raise BrokerError(f"unknown broker kind {name!r}; kinds: {', '.join(broker_kinds())} ({BROKERS_FILE})") from None


def durability_modes() -> tuple[str, ...]:
    """Every kind's modes, each once, in file order: the matrix's durability axis."""
    return tuple(dict.fromkeys(mode for kind in broker_kinds().values() for mode in kind.modes))


def eviction_policies() -> tuple[str, ...]:
    """Every kind's eviction policies, each once, in file order: one memory-pressure fault each."""
    return tuple(dict.fromkeys(policy for kind in broker_kinds().values() for policy in kind.eviction_policies))
