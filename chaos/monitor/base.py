"""The monitor interface: a backend's own monitoring server (Flower, RQ Dashboard), how to run it
and how to read it.

A :class:`Monitor` says how its server is started (argv, credentials passed through the
environment, readiness probe), which profile settings the servers it watches must have for it to
see anything (``settings``, e.g. Celery's task events), and how to take one **reading** over its
HTTP API with calls that change nothing (``read``). A reading is normalised to the contract's task
states (``targets/contract.py``): per task id the state the monitor shows, plus the monitor's own
totals. Judging a reading is the monitoring claim's job; a monitor only reports what it was told.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

TERMINAL = ("succeeded", "failed", "cancelled")


class MonitorError(RuntimeError):
    """The monitor answered something a reading cannot use (the message says what and where)."""


@dataclass
class Reading:
    tasks: dict[str, dict]  # task id -> {"state": normalised, "raw_state": what the monitor said}
    counts: dict[str, int]  # the monitor's own totals by normalised state
    endpoints: dict[str, int] = field(default_factory=dict)  # every GET made -> HTTP status
    extra: dict = field(default_factory=dict)  # anything else shown (workers), for the report

    def to_json(self) -> dict:
        return {"tasks": self.tasks, "counts": self.counts, "endpoints": self.endpoints, "extra": self.extra}


@dataclass(frozen=True)
class Launch:
    """What the deployment needs to run one monitor server."""

    argv: list[str]
    env: dict[str, str]
    health_path: str  # GET answers 200 once the HTTP server is up (with basic auth)
    ready: Callable[[], bool] | None = None  # a probe of the monitor's own, passed after health_path answers


class Monitor(abc.ABC):
    name: str
    backend: str
    settings: dict = {}  # profile settings the watched servers need (merged into the profile by the deployment)

    @abc.abstractmethod
    def launch(self, *, python: str, port: int, broker_url: str, redis_url: str, workdir: Path, user: str,
               password: str) -> Launch:
        """How to start the server on 127.0.0.1:``port``, watching the broker at ``broker_url`` and the
        Redis that keeps the backend's state at ``redis_url`` (both as its other clients reach them)."""

    @abc.abstractmethod
    def read(self, http: httpx.Client) -> Reading:
        """One reading, with GETs that have no side effect on the system under test."""

    @staticmethod
    def get_json(http: httpx.Client, path: str, endpoints: dict[str, int]):
        response = http.get(path)
        endpoints[path] = response.status_code
        if response.status_code != 200:
            raise MonitorError(f"GET {http.base_url}{path} answered {response.status_code}: {response.text[:200]}")
        return response.json()
