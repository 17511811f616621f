"""Profiles: load the named backend configurations from ``profiles.toml`` (data, not code).

A :class:`Profile` is a backend plus its settings plus a Redis persistence mode. Its ``name`` is
``<profile>`` and its ``id`` is ``<profile>@<persistence>``; the targets receive ``settings`` as JSON.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

PROFILES_FILE = Path(__file__).with_name("profiles.toml")
PERSISTENCE_MODES = ("none", "rdb", "aof-everysec", "aof-always")
BACKENDS = ("bgtasks", "celery", "rq", "broken")  # broken: targets/broken_app.py, for quality tests only
REDIS_BACKENDS = ("celery", "rq")


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Profile:
    name: str
    backend: str
    persistence: str
    settings: dict = field(hash=False, compare=False)
    redis_client: dict = field(hash=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.persistence}"

    @property
    def uses_redis(self) -> bool:
        return self.backend in REDIS_BACKENDS

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
        if persistence not in PERSISTENCE_MODES:
            raise ProfileError(f"unknown Redis persistence mode {persistence!r}; choose one of {', '.join(PERSISTENCE_MODES)}")
        return replace(self, persistence=persistence)

    def to_env_json(self) -> str:
        return json.dumps({"name": self.name, "backend": self.backend, "persistence": self.persistence,
                           "settings": self.settings, "redis_client": self.redis_client})

    def describe(self) -> dict:
        return {"id": self.id, "name": self.name, "backend": self.backend, "persistence": self.persistence,
                "settings": self.settings, "redis_client": self.redis_client}


def load_profiles(path: Path = PROFILES_FILE, *, include_test_only: bool = False) -> dict[str, Profile]:
    """The profiles in ``path``. Profiles marked ``test_only = true`` (targets broken on purpose, for
    the quality tests) are left out unless asked for, so the chaos cells never pick them up."""
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    defaults = data.get("defaults", {})
    persistence = defaults.get("persistence", "aof-everysec")
    client_defaults = defaults.get("redis_client", {})
    profiles = {}
    for name, raw in data.get("profiles", {}).items():
        raw = dict(raw)
        if raw.pop("test_only", False) and not include_test_only:
            continue
        backend = raw.pop("backend", None)
        if backend not in BACKENDS:
            raise ProfileError(f"{path}: profile {name!r} has backend {backend!r}; expected one of {BACKENDS}")
        for required in ("retries", "retry_countdown_s", "recovery_window_s"):
            if required not in raw:
                raise ProfileError(f"{path}: profile {name!r} lacks {required!r}")
        client = {**client_defaults, **raw.pop("redis_client", {})}
        profiles[name] = Profile(name=name, backend=backend, persistence=persistence, settings=raw, redis_client=client)
    return profiles


def get_profile(spec: str) -> Profile:
    """``name`` or ``name@persistence`` (test-only profiles included: naming one is asking for it)."""
    name, _, persistence = spec.partition("@")
    profiles = load_profiles(include_test_only=True)
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; known profiles: {', '.join(profiles)} (see {PROFILES_FILE})")
    profile = profiles[name]
    return profile.with_persistence(persistence) if persistence else profile
