"""The uniform HTTP contract, as a FastAPI app built around one backend adapter.

An adapter is the backend target's extension point: ``submit(spec) -> id``, ``status(id)``,
``cancel(id, terminate)``. ``contract_router`` turns it into the routes documented in
``targets/README.md``, as an ``APIRouter`` that a team's own FastAPI app can mount
(targets/bgtasks/router.py); ``build_app`` is that router alone in an app of its own.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Protocol

from fastapi import APIRouter, BackgroundTasks, FastAPI
from fastapi.responses import JSONResponse

from chaos.records.ledger import LedgerWriter
from chaos.records.taskspec import TaskSpec

STATES = ("pending", "running", "retrying", "succeeded", "failed", "cancelled", "unknown")


@dataclass
class TaskStatus:
    state: str  # one of STATES
    raw_state: str | None
    detail: str | None = None


class Unsupported(Exception):
    """The backend has no API for this operation (answered as 501)."""


class NotFound(Exception):
    """The backend has no task with this id (answered as 404)."""


class Conflict(Exception):
    """The operation cannot apply to the task in its current state, e.g. cancelling it twice (answered as 409)."""


class BackendAdapter(Protocol):
    backend: str
    features: frozenset[str]  # which of TaskSpec.asks_backend this backend implements (priority, countdown, time_limit)

    def submit(self, spec: TaskSpec, schedule: Callable | None) -> str: ...

    def status(self, task_id: str) -> TaskStatus: ...

    def cancel(self, task_id: str, terminate: bool) -> bool: ...


def refusal(adapter: BackendAdapter, spec: TaskSpec) -> JSONResponse | None:
    """501 when the spec asks for a feature the backend has no API for: never ignored silently."""
    missing = [f for f in spec.asks_backend if f not in getattr(adapter, "features", frozenset())]
    if missing:
        return JSONResponse(status_code=501, content={"detail": f"{adapter.backend} has no API for: {', '.join(missing)}",
                                                      "unsupported": missing})
    return None


def hold_answer(backend: str, spec: TaskSpec, task_id: str) -> None:
    """``spec.hold_answer``: the backend has accepted the task; say so in the ledger ("answer-held",
    attempt 0: the app's record, no attempt of the body) and keep the client's answer back until the
    harness releases the key (or ``hold_timeout_s``), so that a fault on the producer lands between
    the hand-over and the answer by construction."""
    ledger = LedgerWriter(os.environ["TASKCHAOS_LEDGER_DIR"], backend)
    ledger.append(spec.key, task_id, 0, "answer-held")
    ledger.wait_released(spec.key, spec.hold_timeout_s)  # or the fault kills us first


class InFlight:
    """The submissions whose hand-over to the backend has not returned yet (``GET /inflight``): a
    client that gave up waiting cannot tell a call still hanging in the app from one that failed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[int, tuple[str, float]] = {}
        self._next = 0

    @contextmanager
    def call(self, key: str):
        with self._lock:
            self._next += 1
            token = self._next
            self._calls[token] = (key, time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                del self._calls[token]

    def now(self) -> list[dict]:
        with self._lock:
            calls = list(self._calls.values())
        return [{"key": key, "for_s": round(time.monotonic() - since, 3)} for key, since in calls]


CONTRACT_MARK = "x-taskchaos"  # on the /health operation in the OpenAPI schema: where an app serves the contract
HEALTH_OPERATION = "taskchaos_contract_health"


def mounted_contract(app) -> tuple[str, dict] | None:
    """Where a FastAPI ``app`` serves the contract: its path prefix ("" at the root) and what the router
    says of itself (``backend``, ``machinery``); None if it does not serve it. Read from the app's
    OpenAPI schema, the one public account of where included routers ended up."""
    schema, app.openapi_schema = app.openapi(), None  # not cached: routes may still be added
    for path, operations in schema.get("paths", {}).items():
        health = operations.get("get", {})
        if health.get("operationId") == HEALTH_OPERATION and path.endswith("/health"):
            return path[: -len("/health")], dict(health.get(CONTRACT_MARK, {}))
    return None


def contract_router(adapter: BackendAdapter, *, submit_uses_background: bool = False) -> APIRouter:
    """The contract's routes over ``adapter``. ``submit_uses_background``: the adapter's ``submit``
    receives the request's ``BackgroundTasks.add_task`` as its ``schedule`` (FastAPI's own machinery)."""
    router = APIRouter()
    inflight = InFlight()

    about = {"backend": adapter.backend, "machinery": getattr(adapter, "machinery", type(adapter).__qualname__)}

    @router.get("/health", operation_id=HEALTH_OPERATION, openapi_extra={CONTRACT_MARK: about})
    def health() -> dict:
        return {"ok": True, "backend": adapter.backend, "pid": os.getpid()}

    @router.get("/inflight")
    def inflight_now() -> dict:
        return {"submissions": inflight.now()}

    if submit_uses_background:
        @router.post("/tasks", status_code=202)
        def submit_bg(spec: TaskSpec, background_tasks: BackgroundTasks):
            refused = refusal(adapter, spec)
            if refused:
                return refused
            with inflight.call(spec.key):
                task_id = adapter.submit(spec, background_tasks.add_task)
            if spec.hold_answer:  # the body runs after the answer: held here, it has not started
                hold_answer(adapter.backend, spec, task_id)
            return {"id": task_id, "key": spec.key}
    else:

        @router.post("/tasks", status_code=202)
        def submit(spec: TaskSpec):
            refused = refusal(adapter, spec)
            if refused:
                return refused
            try:
                with inflight.call(spec.key):
                    task_id = adapter.submit(spec, None)
            except Exception as exc:  # broker unreachable, timeout...: the outcome is unknown to the client
                return JSONResponse(status_code=503, content={"detail": f"{type(exc).__name__}: {exc}"})
            if spec.hold_answer:
                hold_answer(adapter.backend, spec, task_id)
            return {"id": task_id, "key": spec.key}

    @router.get("/tasks/{task_id}")
    def status(task_id: str):
        try:
            st = adapter.status(task_id)
        except Unsupported as exc:
            return JSONResponse(status_code=501, content={"detail": str(exc)})
        except Exception as exc:
            return JSONResponse(status_code=503, content={"detail": f"{type(exc).__name__}: {exc}"})
        return {"id": task_id, "state": st.state, "raw_state": st.raw_state, "detail": st.detail}

    @router.post("/tasks/{task_id}/cancel")
    def cancel(task_id: str, terminate: bool = False):
        try:
            return {"id": task_id, "cancelled": adapter.cancel(task_id, terminate), "terminate": terminate}
        except Unsupported as exc:
            return JSONResponse(status_code=501, content={"detail": str(exc)})
        except NotFound as exc:
            return JSONResponse(status_code=404, content={"detail": str(exc)})
        except Conflict as exc:
            return JSONResponse(status_code=409, content={"detail": str(exc)})
        except Exception as exc:
            return JSONResponse(status_code=503, content={"detail": f"{type(exc).__name__}: {exc}"})

    return router


def build_app(adapter: BackendAdapter, *, submit_uses_background: bool = False) -> FastAPI:
    """A target app of its own: the contract router, at the root."""
    app = FastAPI(title=f"taskchaos target: {adapter.backend}")
    app.include_router(contract_router(adapter, submit_uses_background=submit_uses_background))
    return app
