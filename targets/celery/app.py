"""Celery target: the HTTP contract (targets/README.md) over the Celery app of
``targets/celery/tasks.py``.

Status reads the result backend with ``backend.get_task_meta(id, cache=False)``: one GET of the
meta key, no side effect (``AsyncResult.get()`` would subscribe and wait; ``forget()`` deletes).
"""

from __future__ import annotations

from chaos.records.taskspec import TaskSpec
from targets.celery.tasks import DURABILITY, HARD_LIMIT_GRACE_S, ON_RABBITMQ, PRIORITY_LEVELS, celery_app, run_task
from targets.contract import TaskStatus, build_app

_STATE = {
    "PENDING": "pending",  # also what Celery answers for an id it has never seen
    "RECEIVED": "pending",
    "STARTED": "running",
    "RETRY": "retrying",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}


class CeleryAdapter:
    backend = "celery"
    features: frozenset[str] = (frozenset({"time_limit", "countdown"})
                                | ({"priority"} if not ON_RABBITMQ or DURABILITY["queue"] == "classic" else set()))

    def submit(self, spec: TaskSpec, schedule) -> str:
        options = {}
        if spec.time_limit_s is not None:
            options |= {"soft_time_limit": spec.time_limit_s, "time_limit": spec.time_limit_s + HARD_LIMIT_GRACE_S}
        if spec.countdown_s:
            options["countdown"] = spec.countdown_s  # an ETA message, held by the worker
        if spec.priority is not None:  # Redis: the lowest step first; AMQP: the highest first
            options["priority"] = spec.priority if ON_RABBITMQ else PRIORITY_LEVELS - 1 - spec.priority
        return run_task.apply_async((spec.model_dump(),), **options).id

    def status(self, task_id: str) -> TaskStatus:
        meta = celery_app.backend.get_task_meta(task_id, cache=False)
        raw = meta.get("status")
        detail = repr(meta.get("result")) if raw in ("FAILURE", "RETRY", "REVOKED") else None
        return TaskStatus(_STATE.get(raw, "unknown"), raw, detail)

    def cancel(self, task_id: str, terminate: bool) -> bool:
        # A broadcast: no answer comes back, so an unknown id is "cancelled" too (Celery cannot tell).
        # terminate=True also signals (SIGTERM) the prefork child running it, if one is.
        celery_app.control.revoke(task_id, terminate=terminate)
        return True


app = build_app(CeleryAdapter())
