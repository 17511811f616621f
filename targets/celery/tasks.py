"""The Celery app of the Celery target, and its tasks, shaped like the seed's code: ``@celery_app.task(bind=True, max_retries=...)``,
``raise self.retry(exc=e, countdown=...)``, JSON serialiser, Redis as broker and result backend.

A spec's ``time_limit_s`` becomes ``apply_async(soft_time_limit=time_limit_s,
time_limit=time_limit_s + HARD_LIMIT_GRACE_S)``: the soft limit raises ``SoftTimeLimitExceeded`` inside
the body at the limit, the hard limit kills the prefork child if the body outlives that.

Priority: kombu's Redis transport emulates priorities with one list per priority step
(``<queue><sep><step>``) and BRPOPs them lowest step first, so with Redis a *lower* number runs
first (kombu/transport/redis.py ``_q_for_pri``, ``_brpop_start``; celery/celery#4028). The target asks
for ten steps (``priority_steps = 0..9``, kombu's default is 0, 3, 6, 9) and maps the contract's
0..9 (higher first) onto ``9 - priority``.

On RabbitMQ (a profile with ``broker = "rabbitmq"``) the queue is declared as the durability mode says
(``PROFILE["durability"]``: classic or quorum, durable or not, persistent messages or not), results go
to Redis (``TASKCHAOS_REDIS_URL``) and publisher confirms follow the profile (``confirm_publish``).
Priorities there are AMQP's own: a classic queue with ``x-max-priority`` 10, higher first, so the
contract's 0..9 is published as is; a quorum queue of RabbitMQ 3.10 has no priorities (answered 501).

A team's own app (a profile with ``system``, chaos/system.py) is loaded instead of the one built
here: only its broker and result backend addresses change (targets/celery/system.py, ``configure``),
the probe task is registered on it with the app's own retry defaults, and none of the settings below
is applied; the monitor need alone turns task events on.

The worker, Beat and Flower load this module (``-A targets.celery.tasks:celery_app``), not the HTTP
target of ``targets/celery/app.py``: they need no FastAPI (whose import alone costs 0.4 s of CPU at
every worker start).
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

from chaos.library_default import is_library_default
from chaos.records.taskspec import TaskSpec
from targets.body import (TransientFailure, broker_url_from_env, ledger_from_env, redis_url_from_env, run_body,
                          settings_from_env)
from targets.redis_client import given, redis_kwargs

PROFILE = settings_from_env()
S = PROFILE["settings"]
RC = PROFILE["redis_client"]
REDIS_URL = redis_url_from_env()
LEDGER = ledger_from_env("celery")
HARD_LIMIT_GRACE_S = 1.0  # hard time_limit = soft_time_limit + this: the backstop for a body that ignores the soft one
TICK_DURATION_S = 0.05

PRIORITY_LEVELS = 10
ON_RABBITMQ = PROFILE.get("broker") == "rabbitmq"
DURABILITY = PROFILE.get("durability") or {}
QUEUE = "celery"

SYSTEM = PROFILE.get("system")  # a team's own app (targets/celery/system.py), judged with its own settings
if SYSTEM:
    from targets.celery.system import configure, load_app

    celery_app = load_app(SYSTEM["app"])
    configure(celery_app, broker_url=f"{REDIS_URL}/0", result_backend=f"{REDIS_URL}/1")
else:
    celery_app = Celery("tasks", broker=broker_url_from_env() if ON_RABBITMQ else f"{REDIS_URL}/0",
                        backend=f"{REDIS_URL}/1")


def _configure_ours() -> None:
    """The built-in profiles' settings, every one spelled out (targets/celery/profiles.toml)."""
    _socket = redis_kwargs(RC)  # the broker's connections (kombu's transport options)
    celery_app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        timezone="UTC",
        enable_utc=True,
        task_acks_late=S["acks_late"],
        task_reject_on_worker_lost=S["reject_on_worker_lost"],
        task_track_started=S["track_started"],
        worker_send_task_events=S["task_events"],  # what Flower watches (the "monitor" need turns it on)
        task_send_sent_event=S["task_events"],
        worker_prefetch_multiplier=S["prefetch_multiplier"],
        worker_concurrency=S["concurrency"],
        broker_connection_retry_on_startup=True,
    )
    result_retries = S.get("result_retries", 3)  # the result backend's retry_policy (Celery's own default: 20)
    celery_app.conf.update(given({  # each left out when the profile leaves it at the library's default
        "task_publish_retry": S["publish_retry"],
        "redis_socket_timeout": RC["socket_timeout_s"],
        "redis_socket_connect_timeout": RC["socket_connect_timeout_s"],
        "redis_socket_keepalive": RC["socket_keepalive"],
        "redis_retry_on_timeout": RC["retry_on_timeout"],
        "redis_backend_health_check_interval": RC["health_check_interval_s"] or None,
    }))
    if not is_library_default(S["publish_max_retries"]):
        celery_app.conf.task_publish_retry_policy = {"max_retries": S["publish_max_retries"], "interval_start": 0,
                                                     "interval_step": 0.2, "interval_max": 0.5}
    if not is_library_default(result_retries):  # the result backend is Redis on every broker (the status API reads it)
        celery_app.conf.result_backend_transport_options = {"retry_policy": {"max_retries": result_retries}}
    if ON_RABBITMQ:
        _classic = DURABILITY["queue"] == "classic"
        celery_app.conf.update(
            task_queues=[Queue(QUEUE, Exchange(QUEUE, type="direct", durable=DURABILITY["durable"]), routing_key=QUEUE,
                               durable=DURABILITY["durable"],
                               queue_arguments={"x-max-priority": PRIORITY_LEVELS} if _classic else {"x-queue-type": "quorum"})],
            task_default_queue=QUEUE,
            task_default_delivery_mode="persistent" if DURABILITY["persistent"] else "transient",
            broker_transport_options={"confirm_publish": S["confirm_publish"]},
            broker_heartbeat=S["broker_heartbeat_s"],
        )
    else:
        celery_app.conf.update(broker_transport_options={
            **given({
                "visibility_timeout": S["visibility_timeout_s"],
                "unacked_restore_interval": S["unacked_restore_interval_s"],
                "unacked_restore_throttle": S["unacked_restore_throttle"],
                "unacked_mutex_expire": S["unacked_mutex_expire_s"],
            }),
            # the queue's layout, not its behaviour under a fault: the harness's probes read these keys
            "priority_steps": list(range(PRIORITY_LEVELS)),
            "sep": ":",
            "queue_order_strategy": "priority",
            **_socket,
        })


if SYSTEM:  # their settings stay theirs; the monitor need alone turns task events on (and says so)
    celery_app.conf.update(worker_send_task_events=S["task_events"], task_send_sent_event=S["task_events"])
else:
    _configure_ours()


# Celery Beat's periodic entry (run by the deployment's "beat" need, see targets/celery/beat.py): a
# plain interval schedule whose period the harness passes in the environment.
if os.environ.get("TASKCHAOS_BEAT_PERIOD_S"):
    celery_app.conf.beat_schedule = {
        "taskchaos-tick": {"task": "taskchaos.tick", "schedule": float(os.environ["TASKCHAOS_BEAT_PERIOD_S"]),
                           "args": (0, 0.0)},  # replaced at each send by TickScheduler
    }


# On a team's app the probe task takes the app's own retry defaults (Task.max_retries, default_retry_delay).
_retry_options = {} if SYSTEM else {"max_retries": S["retries"]}


@celery_app.task(bind=True, name="taskchaos.run", **_retry_options)
def run_task(self, spec: dict):
    parsed = TaskSpec.model_validate(spec)
    try:
        return run_body(LEDGER, parsed, self.request.id)
    except TransientFailure as e:
        raise self.retry(exc=e, **({} if SYSTEM else {"countdown": S["retry_countdown_s"]}))


@celery_app.task(name="taskchaos.tick")
def tick(number: int, sent_wall: float):
    """The body of one Celery Beat tick (the periodic entry in targets/celery/beat.py): key
    ``beat-<number>-<sent ms>`` — Beat's own count of the tick, and when Beat sent it. Two messages
    for the same count are a tick Beat sent twice; one message run twice is a redelivery."""
    key = f"beat-{number:04d}-{round(sent_wall * 1000)}"
    return run_body(LEDGER, TaskSpec(key=key, duration_s=TICK_DURATION_S), tick.request.id)
