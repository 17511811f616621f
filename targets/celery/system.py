"""A team's own Celery app, judged with its own settings (``backend = "celery"`` in a system
description, chaos/system.py).

``read(app, kind)`` imports their app (``module:attribute``) and reads every fault-relevant setting
into the keys of this backend's profiles (``settings``), with what it read named as they write it
(``as_read``) and what the harness puts in place of theirs (``replaced``). A setting they leave unset
is read from Celery's and kombu's own defaults (``app.conf``, ``app.Task``, kombu's Redis
``Channel``), never from a number written here.

The worker and the app load their app through ``targets/celery/tasks.py``, which calls
``load_app`` and then changes only what ``replaced`` says: the broker and result backend addresses
(the harness's servers, the broker behind Toxiproxy) and the probe task ``taskchaos.run``, registered
on their app. Everything else runs as they configured it: acks, prefetch, visibility timeout,
transport options, retry defaults, routes, serializer.
"""

from __future__ import annotations

import os

from chaos.system import refuse_options, their_object

KINDS = ("redis",)  # the broker kinds a team's Celery app can be judged on, so far
RESTORE_MARGIN_S = 2.0  # the drain waits this long past one restore sweep after the visibility timeout


class SystemAppError(ValueError):
    """Their app cannot be used as it is (the message says what to do)."""


def load_app(spec: str):
    """Their Celery app, imported from ``module:attribute``."""
    from celery import Celery

    app = their_object(spec, SystemAppError, 'e.g. "myproj.celery:app"')
    if not isinstance(app, Celery):
        raise SystemAppError(f"app = {spec!r}: {spec.replace(':', '.')} is a {type(app).__name__}, not a Celery app "
                             f"(celery.Celery)")
    return app


def read(spec: str, kind: str | None, options: dict) -> dict:
    """Their app's settings as a profile of this backend has them (see the module docstring)."""
    refuse_options(options, "every setting is read from the Celery app itself")
    if kind not in KINDS:
        raise SystemAppError(f"a team's Celery app can be judged on {', '.join(KINDS)} so far, not {kind!r}: its queue "
                             f"declarations, not the harness's, would decide a RabbitMQ queue's durability")
    from kombu.transport.redis import Channel

    app = load_app(spec)
    conf = app.conf
    options = dict(conf.broker_transport_options or {})
    visibility = float(options.get("visibility_timeout", Channel.visibility_timeout))
    interval = float(options.get("unacked_restore_interval", Channel.unacked_restore_interval))
    throttle = int(options.get("unacked_restore_throttle", Channel.unacked_restore_throttle))
    mutex = float(options.get("unacked_mutex_expire", Channel.unacked_mutex_expire))
    policy = dict(conf.task_publish_retry_policy or {})
    concurrency = conf.worker_concurrency or os.cpu_count() or 1  # Celery's default: one child per CPU
    max_retries = app.Task.max_retries
    as_read = {
        "task_acks_late": conf.task_acks_late,
        "task_reject_on_worker_lost": conf.task_reject_on_worker_lost,
        "task_track_started": conf.task_track_started,
        "worker_prefetch_multiplier": conf.worker_prefetch_multiplier,
        "worker_concurrency": conf.worker_concurrency,
        "worker_send_task_events": conf.worker_send_task_events,
        "task_publish_retry": conf.task_publish_retry,
        "task_publish_retry_policy": policy,
        "broker_transport_options": options,
        "task_default_queue": conf.task_default_queue,
        "task_routes": repr(conf.task_routes) if conf.task_routes else None,
        "task_serializer": conf.task_serializer,
        "task_time_limit": conf.task_time_limit,
        "task_soft_time_limit": conf.task_soft_time_limit,
        "Task.max_retries": max_retries,
        "Task.default_retry_delay": app.Task.default_retry_delay,
    }
    settings = {
        "description": f"a team's own Celery app, {spec}, with its own settings",
        "retries": max_retries if max_retries is not None else 1_000_000,  # None: Celery retries for ever
        "retry_countdown_s": float(app.Task.default_retry_delay),
        "concurrency": int(concurrency),
        "prefetch_multiplier": int(conf.worker_prefetch_multiplier),
        "acks_late": bool(conf.task_acks_late),
        "reject_on_worker_lost": bool(conf.task_reject_on_worker_lost),
        "track_started": bool(conf.task_track_started),
        "task_events": bool(conf.worker_send_task_events),
        "visibility_timeout_s": visibility,
        "lease_s": visibility,  # an unacked message is handed out again after this
        "unacked_restore_interval_s": interval,
        "unacked_restore_throttle": throttle,
        "unacked_mutex_expire_s": mutex,
        "publish_retry": bool(conf.task_publish_retry),
        "publish_max_retries": int(policy.get("max_retries", 3)),
        "recovery_window_s": visibility + interval * throttle + RESTORE_MARGIN_S,
    }
    replaced = {
        "broker_url": "the harness's broker, behind its Toxiproxy proxy (every fault goes through it)",
        "result_backend": "the harness's Redis (the status API reads it)",
        "tasks": "the probe task taskchaos.run is registered on the app: it writes what ran to the ledger",
    }
    return {"settings": settings, "as_read": as_read, "replaced": replaced}


def configure(app, *, broker_url: str, result_backend: str) -> None:
    """What the harness changes on their app, and nothing else (``replaced`` in ``read``)."""
    app.conf.update(broker_url=broker_url, broker_read_url=None, broker_write_url=None, result_backend=result_backend)


__all__ = ["KINDS", "SystemAppError", "configure", "load_app", "read"]
