"""Backends as plugins: the one module that finds them.

In a nutshell: a backend is a folder ``targets/<name>/`` holding its target app, its servers' entry
points, its profiles (``profiles.toml``) and its **description** (``backend.toml``, data): the servers
to run beside the app with their argv and readiness line, which server runs task bodies, the broker
kinds it can use, its capabilities in words that name no backend, its column of the seed's table,
and the packages whose versions a report records. Everything else in ``chaos/`` reads descriptions
through :func:`backends` and never names a backend, so adding one is one folder plus its lines in
expectations.toml (tests/test_backend_plugins.py greps for the rest).
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chaos.tomlines import where

TARGETS_DIR = Path(__file__).resolve().parents[1] / "targets"
DESCRIPTION = "backend.toml"
PROFILES = "profiles.toml"
EXECUTORS = ("worker", "app")
REQUIRED = ("name", "title", "app", "executor", "brokers", "packages", "capabilities", "seed")
CAPABILITIES = {
    "reserves_ahead": "the profile setting that says how many messages a worker reserves ahead ('' if none)",
    "monitor": "module:Class of its monitor (chaos.monitor.base.Monitor), '' if it has none",
    "crash_takes_target": "whether a body that exits its process takes the whole target down",
    "pending_deliveries": "module:function(kind, url) counting what its broker could still deliver (queued, or "
                          "delivered and not acked; None: cannot tell for that kind), '' if it has none",
    "reservations_full": "module:function(kind, url, settings, workers, running, waiting) saying whether its workers "
                         "have taken from the broker all they will until a running task ends, and every waiting "
                         "task rests in the broker (None: cannot tell for that kind), '' if its workers reserve "
                         "nothing ahead",
    "system": "module:function(app, kind, options) reading a team's own app (\"module:attribute\"), with the "
              "[system.options] of its description, into a profile's settings (chaos/system.py), '' if the "
              "backend cannot judge a team's own system yet",
}
SERVER_FIELDS = ("argv", "ready")


class BackendError(ValueError):
    """A backend folder or description that cannot be used (the message names the file and the fix)."""


@dataclass(frozen=True)
class ServerTemplate:
    """A server a backend runs beside its app: argv with ``{python}``, ``{name}``, ``{run_dir}`` and
    ``{settings[...]}`` placeholders, and the regular expression its log shows once it is ready."""

    argv: tuple[str, ...]
    ready: str

    def render(self, *, python: str, name: str, run_dir: Path, settings: dict) -> tuple[list[str], str]:
        values = {"python": python, "name": name, "run_dir": str(run_dir), "settings": settings}
        return [part.format(**values) for part in self.argv], self.ready.replace("{name}", name)


@dataclass(frozen=True)
class Backend:
    name: str
    title: str
    app: str  # module:attribute of the target app (ASGI)
    executor: str  # "worker": the worker servers run task bodies; "app": the app process does
    brokers: tuple[str, ...]  # broker kinds it can run on; () for none
    packages: tuple[str, ...]
    servers: dict[str, ServerTemplate] = field(hash=False, compare=False)
    capabilities: dict = field(hash=False, compare=False)
    seed: dict[str, bool] = field(hash=False, compare=False)
    folder: Path = field(hash=False, compare=False, default=TARGETS_DIR)

    @property
    def executor_is_app(self) -> bool:
        return self.executor == "app"

    @property
    def has_periodic_scheduler(self) -> bool:
        return "beat" in self.servers

    @property
    def reserves_ahead(self) -> str:
        """The profile setting that says how many messages a worker reserves ahead ('' if it reserves none)."""
        return self.capabilities["reserves_ahead"]

    @property
    def crash_takes_target(self) -> bool:
        return bool(self.capabilities["crash_takes_target"])

    def pending_deliveries(self, kind: str, url: str) -> int | None:
        """How many messages its broker (``kind``, at ``url``, reached directly) could still hand out:
        0 means no redelivery is possible any more. None: the backend (or the kind) cannot tell."""
        spec = self.capabilities["pending_deliveries"]
        return _load_attr(self, "pending_deliveries", spec)(kind, url) if spec else None

    def reservations_full(self, kind: str, url: str, settings: dict, workers: int, running: list[str],
                          waiting: list[str] = ()) -> bool | None:
        """Whether the ``workers`` (with the profile's ``settings``) have reserved from the broker all they
        will before one of the ``running`` tasks (backend task ids) ends, and every one of the ``waiting``
        tasks (acknowledged, not started) rests in the broker rather than between a worker's pop and its
        record of it. None: the backend cannot tell."""
        spec = self.capabilities["reservations_full"]
        if not spec:
            return None
        return _load_attr(self, "reservations_full", spec)(kind, url, settings, workers, running, list(waiting))

    def read_system(self, app: str, kind: str | None, options: dict | None = None) -> dict:
        """A team's own app (``module:attribute``) read into a profile's settings: ``settings`` (the keys
        this backend's profiles have), ``as_read`` (each fault-relevant setting of theirs, named as
        they write it), ``replaced`` (what the harness puts in place of theirs, and why) and, when the
        reader takes any, ``options`` (the keys of ``[system.options]`` it takes, and what each is).
        ``options``: that table as the description has it (chaos.system.OptionError for a bad key)."""
        spec = self.capabilities["system"]
        if not spec:
            raise BackendError(f"backend {self.name!r} cannot judge a team's own system yet "
                               f"(capabilities.system is empty in {self.folder / DESCRIPTION})")
        return _load_attr(self, "system", spec)(app, kind, dict(options or {}))

    def monitor(self):
        """An instance of its monitor (chaos.monitor.base.Monitor), or None."""
        spec = self.capabilities["monitor"]
        if not spec:
            return None
        return _load_attr(self, "monitor", spec)()


def _load_attr(backend: Backend, capability: str, spec: str):
    module, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"{backend.folder / DESCRIPTION}: capabilities.{capability} = {spec!r} cannot be loaded "
                           f"({exc}): name an importable module:attribute") from exc


def _load(folder: Path) -> Backend:
    path = folder / DESCRIPTION
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BackendError(f"{path}: malformed TOML: {exc}") from exc
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise BackendError(f"{path}: lacks {', '.join(missing)} (every backend description needs "
                           f"{', '.join(REQUIRED)}; see targets/README.md)")
    unknown = sorted(set(data) - set(REQUIRED) - {"servers"})
    if unknown:
        raise BackendError(f"{path}: unknown key {', '.join(unknown)} (known: {', '.join(REQUIRED)}, servers)")
    if data["name"] != folder.name:
        raise BackendError(f"{path}: name = {data['name']!r}, but the folder is {folder.name!r}: they must agree")
    if data["executor"] not in EXECUTORS:
        raise BackendError(f"{where(path, None, 'executor')}: executor = {data['executor']!r}; choose one of {', '.join(EXECUTORS)}")
    caps = data["capabilities"]
    if set(caps) != set(CAPABILITIES):
        raise BackendError(f"{where(path, 'capabilities')}: [capabilities] must set exactly {', '.join(CAPABILITIES)} "
                           f"(missing: {', '.join(sorted(set(CAPABILITIES) - set(caps))) or 'none'}; "
                           f"unknown: {', '.join(sorted(set(caps) - set(CAPABILITIES))) or 'none'})")
    servers = {}
    for name, raw in data.get("servers", {}).items():
        if set(raw) != set(SERVER_FIELDS):
            raise BackendError(f"{where(path, f'servers.{name}')}: [servers.{name}] must set exactly {', '.join(SERVER_FIELDS)}")
        servers[name] = ServerTemplate(tuple(raw["argv"]), raw["ready"])
    if data["executor"] == "worker" and "worker" not in servers:
        raise BackendError(f"{path}: executor = \"worker\" needs a [servers.worker] table")
    if not (folder / PROFILES).is_file():
        raise BackendError(f"{folder}: no {PROFILES}: a backend folder holds its profiles, like every folder of {TARGETS_DIR}")
    return Backend(name=data["name"], title=data["title"], app=data["app"], executor=data["executor"],
                   brokers=tuple(data["brokers"]), packages=tuple(data["packages"]), servers=servers,
                   capabilities=dict(caps), seed={k: bool(v) for k, v in data["seed"].items()}, folder=folder)


@cache
def backends(root: Path = TARGETS_DIR) -> dict[str, Backend]:
    """Every backend folder under ``root`` (a folder with a backend.toml), by name."""
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / DESCRIPTION).is_file()):
        backend = _load(folder)
        found[backend.name] = backend
    return found


def get_backend(name: str) -> Backend:
    try:
        return backends()[name]
    except KeyError:
        raise BackendError(f"unknown backend {name!r}; backends: {', '.join(backends())} "
                           f"(each is a folder of {TARGETS_DIR} with a {DESCRIPTION})") from None
