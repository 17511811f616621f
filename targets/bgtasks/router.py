"""The contract (targets/README.md) as a router a team's own FastAPI app can mount, over its own
background-task machinery:

    from targets.bgtasks.router import taskchaos_router

    if os.environ.get("TASKCHAOS_SYSTEM"):   # set wherever taskchaos imports or serves your app
        app.include_router(taskchaos_router(), prefix="/taskchaos")

With no ``schedule``, the probe's body goes to the request's ``BackgroundTasks`` (``bg.add_task``, as in
the seed). ``schedule=`` hands it to their own machinery instead: any callable ``schedule(fn, *args)``
that runs ``fn(*args)`` later (``executor.submit`` of their thread pool, say). Mounted by them, the
routes sit behind their own prefix, dependencies and middleware; if their app does not mount it,
taskchaos mounts the default one itself (targets/bgtasks/system.py), without an edit of their code.

Nothing here touches the ledger until a task is submitted: importing their app, or mounting the
router outside taskchaos, needs none of the harness's environment.
"""

from __future__ import annotations

import uuid
from typing import Callable

from fastapi import APIRouter

from targets.body import ledger_from_env, run_body
from targets.contract import TaskStatus, Unsupported, contract_router

BACKEND = "bgtasks"


class BackgroundTasksAdapter:
    """Submit = schedule the instrumented body; no status, no cancel (answered 501)."""

    backend = BACKEND
    features: frozenset[str] = frozenset()

    def __init__(self, schedule: Callable | None = None):
        self._schedule = schedule  # None: the request's BackgroundTasks.add_task, given to submit
        self._ledger = None
        self.machinery = "fastapi.BackgroundTasks.add_task" if schedule is None else _name(schedule)

    def submit(self, spec, schedule) -> str:
        if self._ledger is None:
            self._ledger = ledger_from_env(BACKEND)
        task_id = uuid.uuid4().hex
        (schedule or self._schedule)(run_body, self._ledger, spec, task_id)
        return task_id

    def status(self, task_id: str) -> TaskStatus:
        raise Unsupported("BackgroundTasks keeps no task state: there is nothing to query")

    def cancel(self, task_id: str, terminate: bool) -> bool:
        raise Unsupported("BackgroundTasks cannot cancel a task")


def taskchaos_router(schedule: Callable | None = None) -> APIRouter:
    """The contract's routes; the body goes to ``schedule`` (default: the request's BackgroundTasks)."""
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule={schedule!r}: pass a callable schedule(fn, *args), e.g. a thread pool's submit")
    return contract_router(BackgroundTasksAdapter(schedule), submit_uses_background=schedule is None)


def _name(schedule: Callable) -> str:
    owner = getattr(schedule, "__self__", None)
    name = getattr(schedule, "__qualname__", None) or type(schedule).__qualname__
    if owner is not None and not isinstance(owner, type):
        return f"{type(owner).__module__}.{type(owner).__qualname__}.{getattr(schedule, '__name__', name)}"
    return f"{getattr(schedule, '__module__', None) or type(schedule).__module__}.{name}"


__all__ = ["BackgroundTasksAdapter", "taskchaos_router"]
