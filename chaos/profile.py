"""Profiles: load the named backend configurations (data, not code) from every backend folder's
``profiles.toml`` (``targets/<backend>/``, found by chaos/backends.py), with the shared defaults of
``chaos/profiles.toml``.

A :class:`Profile` is a backend plus its settings plus its broker (a kind, e.g. ``redis``, or none)
and that broker's durability mode (``persistence``). Its ``name`` is ``<profile>`` and its ``id`` is
``<profile>@<persistence>``; the targets receive ``settings`` as JSON.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from chaos.backends import PROFILES, TARGETS_DIR, BackendError, backends
from chaos.brokers import BrokerError, broker_kind, durability_modes
from chaos.tomlines import where

PROFILES_FILE = Path(__file__).with_name("profiles.toml")
PERSISTENCE_MODES = durability_modes()  # every broker kind's durability modes (chaos/brokers.toml)


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Profile:
    name: str
    backend: str
    persistence: str
    settings: dict = field(hash=False, compare=False)
    redis_client: dict = field(hash=False, compare=False)
    broker: str | None = None  # the broker kind it runs on (chaos/backends.py: the backend's first), or none
    quick_cells: tuple[str, ...] | None = None  # the cells the quick budget runs ("claim/fault[@mode]"); None: all
    quick_leaves_out: tuple[str, ...] = ()  # cells ("claim/fault[@mode]") the quick budget leaves to the standard one
    system: dict | None = field(default=None, hash=False, compare=False)  # a team's own app (chaos/system.py), or None
    made_for: tuple[str, ...] | None = None  # the only cells ("claim/fault[@mode]") any budget runs it in; None: all

    def not_made_for(self, claim: str, fault: str, mode: str | None = None) -> str | None:
        """Why this profile is not run in the cell (None: it is): a profile made to show one thing
        (``made_for``) is run in those cells only, in every budget."""
        if self.made_for is None or any(_names_cell(entry, claim, fault, mode) for entry in self.made_for):
            return None
        return (f"{self.name} is made for {len(self.made_for)} cells only, in every budget (its made_for); "
                f"{claim}/{fault} is not one of them")

    def left_out_by(self, budget: str, claim: str, fault: str, mode: str | None = None) -> str | None:
        """Why ``budget`` does not run this cell (None: it runs it). Only the quick budget leaves cells
        out, and only of a profile whose ``quick_cells`` says which it runs; ``mode`` None: any mode."""
        if budget != "quick" or quick_runs_everything():
            return None
        if any(_names_cell(entry, claim, fault, mode) for entry in self.quick_leaves_out):
            return (f"the quick budget leaves {claim}/{fault} of {self.name} to the standard one (its quick_leaves_out); "
                    f"--chaos-budget standard runs it")
        if self.quick_cells is None or any(_names_cell(entry, claim, fault, mode) for entry in self.quick_cells):
            return None
        if not self.quick_cells:
            return (f"the quick budget runs no cell of {self.name} (its quick_cells is empty); "
                    f"--chaos-budget standard runs them all")
        return (f"the quick budget runs {len(self.quick_cells)} cells of {self.name} (its quick_cells: "
                f"{', '.join(self.quick_cells)}); --chaos-budget standard runs them all")

    @property
    def id(self) -> str:
        return f"{self.name}@{self.persistence}"

    @property
    def uses_broker(self) -> bool:
        return self.broker is not None

    @property
    def durability(self) -> dict:
        """What the clients must declare for the broker's durability mode (chaos/brokers.toml)."""
        return broker_kind(self.broker).client(self.persistence) if self.broker else {}

    @property
    def max_attempts(self) -> int:
        return 1 + int(self.settings["retries"])

    @property
    def retry_countdown_s(self) -> float:
        return float(self.settings["retry_countdown_s"])

    @property
    def recovery_window_s(self) -> float:
        return float(self.settings["recovery_window_s"])

    @property
    def drain_slack_s(self) -> float | None:
        """The fixed slack of the drain deadline, when the profile sets one (None: chaos.quiesce's default)."""
        value = self.settings.get("drain_slack_s")
        return None if value is None else float(value)

    def with_persistence(self, persistence: str) -> "Profile":
        modes = broker_kind(self.broker).modes if self.broker else PERSISTENCE_MODES
        if persistence not in modes:
            kind = broker_kind(self.broker).title if self.broker else "broker"
            raise ProfileError(f"unknown {kind} persistence mode {persistence!r} for {self.name}; choose one of "
                               f"{', '.join(modes)}")
        return replace(self, persistence=persistence)

    def to_env_json(self) -> str:
        return json.dumps({"name": self.name, "backend": self.backend, "broker": self.broker,
                           "persistence": self.persistence, "durability": self.durability, "settings": self.settings,
                           "redis_client": self.redis_client, "system": self.system})

    def describe(self) -> dict:
        return {"id": self.id, "name": self.name, "backend": self.backend, "broker": self.broker,
                "persistence": self.persistence, "settings": self.settings, "redis_client": self.redis_client,
                **({"system": self.system} if self.system else {})}


PREVIEW_ENV = "TASKCHAOS_PREVIEW"
QUICK_CELLS_ENV = "TASKCHAOS_QUICK_CELLS"  # "all": the quick budget runs every cell (quick_cells ignored)


def quick_runs_everything() -> bool:
    """``TASKCHAOS_QUICK_CELLS=all``: the quick budget leaves no cell out (quick_cells, the docker twins)."""
    return os.environ.get(QUICK_CELLS_ENV) == "all"


def previews_wanted() -> bool:
    """``TASKCHAOS_PREVIEW=1``: the chaos cells include the preview profiles too (to record their
    expectations; a full run then has cells without expectation, and its gate says so)."""
    return os.environ.get(PREVIEW_ENV) == "1"


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: {exc}") from exc


def default_redis_client(path: Path = PROFILES_FILE) -> dict:
    """The redis-py client settings a profile has unless it says otherwise (chaos/profiles.toml)."""
    return dict(_read(path).get("defaults", {}).get("redis_client", {}))


def default_persistence(path: Path = PROFILES_FILE) -> str:
    """The mode a profile without a broker is named with (chaos/profiles.toml)."""
    return _read(path).get("defaults", {}).get("persistence", "aof-everysec")


def load_profiles(path: Path = PROFILES_FILE, *, root: Path = TARGETS_DIR,
                  include_test_only: bool = False) -> dict[str, Profile]:
    """The profiles of every backend folder under ``root``, with the defaults of ``path``. Profiles
    marked ``test_only = true`` (targets broken on purpose, for the quality tests) or ``preview = true``
    (runnable by name, not yet in the chaos cells: their expectations are not recorded) are left out
    unless asked for, so the chaos cells never pick them up.

    With ``TASKCHAOS_SYSTEM`` set (a team's own system, chaos/system.py): that system's profile alone."""
    from chaos.system import SystemDescriptionError, system_file, system_profile

    system = system_file()
    if system is not None:
        try:
            profile = system_profile(system)
        except SystemDescriptionError as exc:
            raise ProfileError(str(exc)) from exc
        return {profile.name: profile}
    defaults = _read(path).get("defaults", {})
    persistence = default_persistence(path)
    client_defaults = defaults.get("redis_client", {})
    profiles: dict[str, Profile] = {}
    try:
        found = backends(root)
    except BackendError as exc:
        raise ProfileError(str(exc)) from exc
    for backend in found.values():
        file = backend.folder / PROFILES
        data = _read(file)
        if set(data) - {"profiles"}:
            raise ProfileError(f"{file}: unknown table {', '.join(sorted(set(data) - {'profiles'}))}: a backend's "
                               f"profiles file holds [profiles.<name>] tables only (defaults: {path})")
        for name, raw in data.get("profiles", {}).items():
            raw = dict(raw)
            if raw.pop("backend", backend.name) != backend.name:
                raise ProfileError(f"{file}: profile {name!r} names another backend; it belongs to {backend.name!r}, "
                                   f"whose folder holds it")
            if name in profiles:
                raise ProfileError(f"{file}: profile {name!r} is also defined by backend {profiles[name].backend!r}: "
                                   f"profile names are unique across backends")
            test_only, preview = raw.pop("test_only", False), raw.pop("preview", False)
            if (test_only and not include_test_only) or (preview and not (include_test_only or previews_wanted())):
                continue
            quick_cells = raw.pop("quick_cells", None)
            if quick_cells is not None:
                quick_cells = _quick_cells(file, name, quick_cells)
            leaves_out = _quick_cells(file, name, raw.pop("quick_leaves_out", []), "quick_leaves_out")
            made_for = raw.pop("made_for", None)
            if made_for is not None:
                made_for = _quick_cells(file, name, made_for, "made_for")
            for required in ("retries", "retry_countdown_s", "recovery_window_s"):
                if required not in raw:
                    raise ProfileError(f"{where(file, f'profiles.{name}')}: profile {name!r} lacks {required!r}")
            client = {**client_defaults, **raw.pop("redis_client", {})}
            broker = raw.pop("broker", backend.brokers[0] if backend.brokers else None)
            if broker is not None and broker not in backend.brokers:
                raise ProfileError(f"{where(file, f'profiles.{name}', 'broker')}: profile {name!r} has broker = {broker!r}, a kind backend {backend.name!r} "
                                   f"cannot use (its description's brokers: {', '.join(backend.brokers) or 'none'})")
            try:
                mode = broker_kind(broker).default if broker else persistence
            except BrokerError as exc:
                raise ProfileError(f"{backend.folder / 'backend.toml'}: brokers: {exc}") from exc
            profiles[name] = Profile(name=name, backend=backend.name, persistence=mode, settings=raw,
                                     redis_client=client, broker=broker, quick_cells=quick_cells,
                                     quick_leaves_out=leaves_out, made_for=made_for)
    return profiles


def _names_cell(entry: str, claim: str, fault: str, mode: str | None) -> bool:
    """Whether a ``quick_cells`` / ``quick_leaves_out`` entry ("claim/fault" or "claim/fault@mode") names
    this cell; ``mode`` None: any mode."""
    cell, _, entry_mode = entry.partition("@")
    return cell == f"{claim}/{fault}" and (not entry_mode or mode is None or entry_mode == mode)


def _quick_cells(file: Path, name: str, value, key: str = "quick_cells") -> tuple[str, ...]:
    """A profile's ``quick_cells`` (or ``quick_leaves_out``, ``made_for``: ``key``): a list of "claim/fault" or
    "claim/fault@mode" naming known claims and faults."""
    from chaos.judgement.claims import CLAIMS
    from chaos.nemesis import fault_labels

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where(file, f'profiles.{name}', key)}: profile {name!r}: {key} is a list of \"claim/fault\" or "
                           f"\"claim/fault@mode\" strings")
    faults = ["none", *fault_labels()]
    for entry in value:
        cell, _, _mode = entry.partition("@")
        claim, _, fault = cell.partition("/")
        if claim not in CLAIMS or fault not in faults:
            raise ProfileError(f"{where(file, f'profiles.{name}', key)}: profile {name!r}: {key} entry {entry!r} names no known cell (claims: "
                               f"{', '.join(CLAIMS)}; faults: {', '.join(faults)})")
    return tuple(value)


def durability_cells(profiles: dict[str, Profile] | None = None) -> list[str]:
    """``name@mode`` for every profile with a broker and every durability mode of its kind: the cells
    of the faults that hurt the broker's data (kill-broker, restart-broker)."""
    found = load_profiles() if profiles is None else profiles
    return [f"{p.name}@{mode}" for p in found.values() if p.broker for mode in broker_kind(p.broker).modes]


def get_profile(spec: str) -> Profile:
    """``name`` or ``name@persistence`` (test-only profiles included: naming one is asking for it)."""
    name, _, persistence = spec.partition("@")
    profiles = load_profiles(include_test_only=True)
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; known profiles: {', '.join(profiles)} "
                           f"(each backend's in targets/<backend>/{PROFILES})")
    profile = profiles[name]
    return profile.with_persistence(persistence) if persistence else profile
