"""A team's own system: the description a team writes in its repository (``taskchaos.toml``), and the
profile it becomes, so that every cell judges *their* configuration instead of the built-in profiles.

    [system]
    name = "shop"                  # the profile's name in every report
    backend = "..."                # a backend folder of targets/ whose capabilities.system reads their app
    app = "shop.tasks:app"         # their app object, module:attribute
    broker = "redis"               # the broker kind to run it on (one the backend can use; none for a
                                   # backend without a broker)
    durability = "aof-everysec"    # optional: one of the kind's durability modes (default: the kind's)
    pythonpath = ["."]             # optional: folders (relative to this file) that hold their modules
    recovery_window_s = 30         # optional: how long a drain waits for the backend's own recovery,
                                   # in place of what their settings imply (the report says so)
    quick_claims = ["persistence", "retry", "status"]  # optional: what the quick budget (their CI) runs

    [system.options]               # optional: what their app cannot tell, how their servers are started;
    timeout_graceful_shutdown = 30 # the backend's reader names the keys it takes (an unknown one is an error)

With ``TASKCHAOS_SYSTEM`` naming such a file (``taskchaos run --system FILE``, ``pytest
--taskchaos-system FILE``), chaos.profile.load_profiles returns this one profile and nothing else:
the matrix, the gate and the report are about their system. The backend reads their app
(``Backend.read_system``) into the settings its profiles have; the targets receive ``system`` in
their profile (TASKCHAOS_PROFILE) and load their app instead of the built-in one.

Errors name the file, the key and what to do. examples/celery-project/taskchaos.toml is a whole one.
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chaos.tomlines import where

SYSTEM_ENV = "TASKCHAOS_SYSTEM"
EXPECTATIONS_NAME = "taskchaos-expectations.toml"
CORPUS_NAME = "taskchaos-corpus"
REQUIRED = ("name", "backend", "app")
OPTIONAL = ("broker", "durability", "pythonpath", "recovery_window_s", "quick_claims", "options")
# What the quick budget (a team's CI) runs unless the description says: the claims a team asks first.
QUICK_CLAIMS = ("persistence", "retry", "status")


class SystemDescriptionError(ValueError):
    """A system description that cannot be used (the message names the file, the key and the fix)."""


class OptionError(ValueError):
    """Raised by a backend's reader for a key of ``[system.options]`` it cannot take (``option``)."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class System:
    file: Path
    name: str
    backend: str
    app: str
    broker: str | None  # None: a backend without a broker
    durability: str
    pythonpath: tuple[str, ...]
    recovery_window_s: float | None
    quick_claims: tuple[str, ...] = QUICK_CLAIMS
    options: tuple[tuple[str, object], ...] = ()  # [system.options], for the backend's reader

    def to_json(self) -> dict:
        return {"file": str(self.file), "name": self.name, "backend": self.backend, "app": self.app,
                "broker": self.broker, "durability": self.durability, "pythonpath": list(self.pythonpath),
                "recovery_window_s": self.recovery_window_s, "quick_claims": list(self.quick_claims),
                "options": dict(self.options)}


def refuse_options(options: dict, where_instead: str) -> None:
    """For a reader that takes no ``[system.options]``: the first key given is an error saying where
    the setting is read from instead."""
    if options:
        key = sorted(options)[0]
        raise OptionError(key, f"options.{key}: this backend takes no [system.options]: {where_instead}; "
                               f"leave [system.options] out")


def their_module(spec: str, module_name: str, error: type[Exception]):
    """Their module ``module_name``, imported for a description's ``app = spec``; a module that does
    not import raises ``error`` saying which and why."""
    try:
        return importlib.import_module(module_name)
    except Exception as exc:  # their module may raise anything at import: say which and why
        raise error(f"app = {spec!r}: module {module_name!r} does not import ({type(exc).__name__}: {exc}); "
                    f"check pythonpath in the system description and that its dependencies are installed") from exc


def their_object(spec: str, error: type[Exception], example: str):
    """Their ``module:attribute`` (``example``: how to write it, in the error for anything else)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise error(f"app = {spec!r}: write it as module:attribute, {example}")
    obj = getattr(their_module(spec, module_name, error), attribute, None)
    if obj is None:
        raise error(f"app = {spec!r}: module {module_name!r} has no attribute {attribute!r}")
    return obj


def system_file() -> Path | None:
    """The description ``TASKCHAOS_SYSTEM`` names, or None: the built-in profiles are judged."""
    value = os.environ.get(SYSTEM_ENV)
    return Path(value).resolve() if value else None


def env_prefix() -> str:
    """What a printed command needs in front to judge the same system ("" for the built-in profiles)."""
    path = system_file()
    return f"{SYSTEM_ENV}={shlex.quote(str(path))} " if path else ""


def system_corpus() -> Path | None:
    """A team's corpus: ``taskchaos-corpus/`` beside its system description (None: no system)."""
    path = system_file()
    return path.parent / CORPUS_NAME if path else None


def system_expectations() -> Path | None:
    """A team's expectations file: ``taskchaos-expectations.toml`` beside its system description (None:
    no system is judged). Write it from a run with ``taskchaos expectations RUN > FILE``."""
    path = system_file()
    return path.parent / EXPECTATIONS_NAME if path else None


def load_system(path: str | Path) -> System:
    from chaos.backends import BackendError, get_backend

    path = Path(path).resolve()
    if not path.is_file():
        raise SystemDescriptionError(f"{path}: no such system description; write one with `taskchaos init` (see chaos/system.py)")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SystemDescriptionError(f"{path}: malformed TOML: {exc}") from exc
    if set(data) != {"system"}:
        raise SystemDescriptionError(f"{path}: a system description holds one [system] table (found: {', '.join(data) or 'nothing'})")
    raw = data["system"]
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SystemDescriptionError(f"{where(path, 'system', unknown[0])}: unknown key {', '.join(unknown)} in [system] "
                           f"(known: {', '.join(REQUIRED + OPTIONAL)})")
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        raise SystemDescriptionError(f"{where(path, 'system')}: [system] lacks {', '.join(missing)}")
    try:
        backend = get_backend(raw["backend"])
    except (BackendError, KeyError, ValueError) as exc:
        raise SystemDescriptionError(f"{where(path, 'system', 'backend')}: backend = {raw['backend']!r}: {exc}") from exc
    broker, durability = _broker(path, raw, backend)
    pythonpath = raw.get("pythonpath", ["."])
    if not isinstance(pythonpath, list) or not all(isinstance(p, str) for p in pythonpath):
        raise SystemDescriptionError(f"{where(path, 'system', 'pythonpath')}: pythonpath is a list of folders, e.g. [\".\"]")
    window = raw.get("recovery_window_s")
    if window is not None and (not isinstance(window, (int, float)) or window <= 0):
        raise SystemDescriptionError(f"{where(path, 'system', 'recovery_window_s')}: recovery_window_s is a number of seconds > 0")
    from chaos.judgement.claims import CLAIMS

    quick = raw.get("quick_claims", list(QUICK_CLAIMS))
    if not isinstance(quick, list) or not quick or any(c not in CLAIMS for c in quick):
        raise SystemDescriptionError(f"{where(path, 'system', 'quick_claims')}: quick_claims is a list of claims the quick "
                                     f"budget runs (known: {', '.join(CLAIMS)})")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise SystemDescriptionError(f"{where(path, 'system', 'options')}: options is a table: write [system.options] "
                                     f"below [system]")
    folders = tuple(str((path.parent / p).resolve()) for p in pythonpath)
    return System(path, str(raw["name"]), backend.name, str(raw["app"]), broker, durability, folders,
                  None if window is None else float(window), tuple(quick), tuple(sorted(options.items())))


def _broker(path: Path, raw: dict, backend) -> tuple[str | None, str]:
    """The broker kind and its durability mode (a backend without a broker: none, and the profiles'
    default mode, which means nothing for it)."""
    from chaos.brokers import BrokerError, broker_kind
    from chaos.profile import default_persistence

    if not backend.brokers:
        for key in ("broker", "durability"):
            if key in raw:
                raise SystemDescriptionError(f"{where(path, 'system', key)}: {key} = {raw[key]!r}: backend "
                                             f"{backend.name!r} uses no broker; leave {key} out")
        return None, default_persistence()
    if "broker" not in raw:
        raise SystemDescriptionError(f"{where(path, 'system')}: [system] lacks broker (backend {backend.name!r} "
                                     f"can use {', '.join(backend.brokers)})")
    if raw["broker"] not in backend.brokers:
        raise SystemDescriptionError(f"{where(path, 'system', 'broker')}: broker = {raw['broker']!r}: backend {backend.name!r} "
                           f"can use {', '.join(backend.brokers)}")
    try:
        kind = broker_kind(raw["broker"])
    except BrokerError as exc:
        raise SystemDescriptionError(f"{where(path, 'system', 'broker')}: {exc}") from exc
    durability = raw.get("durability", kind.default)
    if durability not in kind.modes:
        raise SystemDescriptionError(f"{where(path, 'system', 'durability')}: durability = {durability!r}: {kind.title}'s modes are "
                           f"{', '.join(kind.modes)}")
    return kind.name, durability


@cache
def system_profile(path: Path):
    """The profile a description becomes: the backend reads their app with their settings."""
    from chaos.backends import get_backend
    from chaos.nemesis import fault_labels
    from chaos.profile import Profile, default_redis_client

    system = load_system(path)
    _importable(system.pythonpath)
    try:
        read = get_backend(system.backend).read_system(system.app, system.broker, dict(system.options))
    except OptionError as exc:
        raise SystemDescriptionError(f"{where(path, 'system.options', exc.option)}: {exc}") from exc
    except ValueError as exc:
        raise SystemDescriptionError(f"{where(path, 'system', 'app')}: {exc}") from exc
    settings = dict(read["settings"])
    if system.recovery_window_s is not None:
        read["replaced"]["recovery_window_s"] = (f"{system.recovery_window_s} s from {path.name}, in place of the "
                                                 f"{settings['recovery_window_s']} s their settings imply")
        settings["recovery_window_s"] = system.recovery_window_s
    quick_cells = tuple(f"{claim}/{fault}" for claim in system.quick_claims for fault in ("none", *fault_labels()))
    return Profile(name=system.name, backend=system.backend, persistence=system.durability, settings=settings,
                   redis_client=default_redis_client(), broker=system.broker, quick_cells=quick_cells,
                   system={**system.to_json(), "as_read": read["as_read"], "replaced": read["replaced"]})


def _importable(folders) -> None:
    """Their modules import in this process too (the backend reads their app here), first in order."""
    for folder in reversed(list(folders)):
        if folder not in sys.path:
            sys.path.insert(0, folder)


def starter(app: str, *, backend: str, broker: str | None, name: str, folder: Path) -> str:
    """A commented system description for ``app``, written after reading it (so a typo fails now).
    ``broker`` None: the backend's first broker kind (none for a backend without one)."""
    from chaos.backends import get_backend
    from chaos.brokers import broker_kind

    described = get_backend(backend)
    if broker is None:
        broker = described.brokers[0] if described.brokers else None
    elif broker not in described.brokers:
        raise SystemDescriptionError(f"--broker {broker}: backend {backend!r} can use "
                                     f"{', '.join(described.brokers) or 'no broker (leave --broker out)'}")
    _importable([str(folder)])
    read = described.read_system(app, broker, {})
    lines = [
        "# What taskchaos judges in this repository (written by `taskchaos init`; see taskchaos's chaos/system.py).",
        "# taskchaos starts its own servers, points your app at them (a broker behind a Toxiproxy proxy), runs",
        "# a probe task of its own with your settings, and otherwise leaves them as they are (listed below).",
        "[system]",
        f"name = {json.dumps(name)}",
        f"backend = {json.dumps(backend)}",
        f"app = {json.dumps(app)}",
    ]
    if broker is not None:
        kind = broker_kind(broker)
        lines += [f"broker = {json.dumps(broker)}",
                  f"durability = {json.dumps(kind.default)}  # {kind.title}'s modes: {', '.join(kind.modes)}"]
    lines += [
        'pythonpath = ["."]  # folders (relative to this file) that hold your modules',
        f"# recovery_window_s = {read['settings']['recovery_window_s']:g}  # how long a drain waits for the backend's own "
        "recovery (what your settings imply)",
        "#",
        "# Read from your app now (each report lists them again, as they were when it ran):",
        *[f"#   {key} = {value!r}" for key, value in read["as_read"].items()],
        "# Replaced by taskchaos:",
        *[f"#   {key}: {why}" for key, why in read["replaced"].items()],
    ]
    if read.get("options"):
        lines += ["", "# How your servers are started, where your app cannot tell (uncomment what differs):",
                  "# [system.options]", *[f"# {key} = ...  # {what}" for key, what in read["options"].items()]]
    return "\n".join(lines + [""])


__all__ = ["CORPUS_NAME", "EXPECTATIONS_NAME", "OptionError", "SYSTEM_ENV", "System", "refuse_options", "SystemDescriptionError", "env_prefix",
           "load_system", "their_module", "their_object", "starter", "system_corpus", "system_expectations", "system_file", "system_profile"]
