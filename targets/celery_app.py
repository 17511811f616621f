"""Celery target, shaped like the seed's code: ``@celery_app.task(bind=True, max_retries=...)``,
``raise self.retry(exc=e, countdown=...)``, JSON serialiser, Redis as broker and result backend.

Priority: kombu's Redis transport emulates priorities with one list per priority step
(``<queue><sep><step>``) and BRPOPs them lowest step first, so with Redis a *lower* number runs
first (kombu/transport/redis.py ``_q_for_pri``, ``_brpop_start``; celery/celery#4028). The target asks
for ten steps (``priority_steps = 0..9``, kombu's default is 0, 3, 6, 9) and maps the contract's
0..9 (higher first) onto ``9 - priority``.

Status reads the result backend with ``backend.get_task_meta(id, cache=False)``: one GET of the
meta key, no side effect (``AsyncResult.get()`` would subscribe and wait; ``forget()`` deletes).
"""

from __future__ import annotations

from celery import Celery

from chaos.records.taskspec import TaskSpec
from targets.body import TransientFailure, ledger_from_env, redis_url_from_env, run_body, settings_from_env
from targets.contract import TaskStatus, build_app

PROFILE = settings_from_env()
S = PROFILE["settings"]
RC = PROFILE["redis_client"]
REDIS_URL = redis_url_from_env()
LEDGER = ledger_from_env("celery")

PRIORITY_LEVELS = 10

celery_app = Celery("tasks", broker=f"{REDIS_URL}/0", backend=f"{REDIS_URL}/1")

_socket = {
    "socket_timeout": RC["socket_timeout_s"],
    "socket_connect_timeout": RC["socket_connect_timeout_s"],
    "socket_keepalive": RC["socket_keepalive"],
    "retry_on_timeout": RC["retry_on_timeout"],
    "health_check_interval": RC["health_check_interval_s"],
}
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    timezone="UTC",
    enable_utc=True,
    task_acks_late=S["acks_late"],
    task_reject_on_worker_lost=S["reject_on_worker_lost"],
    task_track_started=S["track_started"],
    worker_prefetch_multiplier=S["prefetch_multiplier"],
    worker_concurrency=S["concurrency"],
    task_publish_retry=S["publish_retry"],
    task_publish_retry_policy={"max_retries": S["publish_max_retries"], "interval_start": 0,
                               "interval_step": 0.2, "interval_max": 0.5},
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "visibility_timeout": S["visibility_timeout_s"],
        "unacked_restore_interval": S["unacked_restore_interval_s"],
        "unacked_restore_throttle": S["unacked_restore_throttle"],
        "priority_steps": list(range(PRIORITY_LEVELS)),
        "sep": ":",
        "queue_order_strategy": "priority",
        **_socket,
    },
    result_backend_transport_options={"retry_policy": {"max_retries": 3}},
    redis_socket_timeout=RC["socket_timeout_s"],
    redis_socket_connect_timeout=RC["socket_connect_timeout_s"],
    redis_socket_keepalive=RC["socket_keepalive"],
    redis_retry_on_timeout=RC["retry_on_timeout"],
    redis_backend_health_check_interval=RC["health_check_interval_s"] or None,
)


@celery_app.task(bind=True, max_retries=S["retries"], name="taskchaos.run")
def run_task(self, spec: dict):
    parsed = TaskSpec.model_validate(spec)
    try:
        return run_body(LEDGER, parsed, self.request.id)
    except TransientFailure as e:
        raise self.retry(exc=e, countdown=S["retry_countdown_s"])


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
    features: frozenset[str] = frozenset({"priority"})

    def submit(self, spec: TaskSpec, schedule) -> str:
        if spec.priority is None:
            return run_task.delay(spec.model_dump()).id
        return run_task.apply_async((spec.model_dump(),), priority=PRIORITY_LEVELS - 1 - spec.priority).id

    def status(self, task_id: str) -> TaskStatus:
        meta = celery_app.backend.get_task_meta(task_id, cache=False)
        raw = meta.get("status")
        detail = repr(meta.get("result")) if raw in ("FAILURE", "RETRY", "REVOKED") else None
        return TaskStatus(_STATE.get(raw, "unknown"), raw, detail)

    def cancel(self, task_id: str) -> bool:
        celery_app.control.revoke(task_id)
        return True


app = build_app(CeleryAdapter())
