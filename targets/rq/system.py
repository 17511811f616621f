"""A team's own RQ settings, judged as they are (``backend = "rq"`` in a system description,
chaos/system.py).

``app`` names their settings module, the one their workers start with (``rq worker -c
mailer.rq_settings``). RQ keeps its configuration in three places: that module (``QUEUES``, the Redis
address), the worker's command line (worker class, serializer, maintenance interval) and every
``enqueue`` call (``retry=``, ``job_timeout=``). The module is the one a team already has, so the
other two are read from it too, under upper-case names that ``rq worker -c`` ignores:

    QUEUES = ["high", "default", "low"]       # rq's own: the worker listens in this order
    WORKER_CLASS = "rq.worker.Worker"         # as `rq worker --worker-class`
    SERIALIZER = "rq.serializers.JSONSerializer"  # as `rq worker --serializer` and `Queue(serializer=)`
    MAINTENANCE_INTERVAL = 600                # Worker(maintenance_interval=), seconds
    WITH_SCHEDULER = True                     # as `rq worker --with-scheduler` (runs delayed retries)
    WORKER_TTL = 420                          # as `rq worker --worker-ttl`, seconds
    RETRY = Retry(max=3, interval=[10, 30])   # what their code passes to enqueue(retry=)
    JOB_TIMEOUT = 300                         # what their code passes to enqueue(job_timeout=), seconds

Anything left out is RQ's own default, read from RQ (``Worker``, ``Queue.DEFAULT_TIMEOUT``, ...),
never from a number written here. The probe job is enqueued on their first queue with their
``RETRY`` and ``JOB_TIMEOUT``; their worker class (with a line the harness waits for) listens on their
queues with their serializer. Replaced: the Redis address (the harness's, behind Toxiproxy).
"""

from __future__ import annotations

import importlib

from chaos.system import refuse_options, their_module

KINDS = ("redis",)
HEARTBEAT_TTL_S = 60  # RQ marks an abandoned job only once its job heartbeat (>= 60 s) expired (rq/worker)
RECOVERY_MARGIN_S = 2.0  # past the maintenance that finds the abandoned job
NAMES = ("QUEUES", "WORKER_CLASS", "SERIALIZER", "MAINTENANCE_INTERVAL", "WITH_SCHEDULER", "WORKER_TTL", "RETRY",
         "JOB_TIMEOUT")


class SystemSettingsError(ValueError):
    """Their settings module cannot be used as it is (the message says what to do)."""


def load_settings(spec: str) -> dict:
    """The upper-case names of their settings module, as ``rq worker -c`` reads them."""
    if not spec or ":" in spec:
        raise SystemSettingsError(f"app = {spec!r}: for RQ, name the settings module your workers start with "
                                  f"(`rq worker -c mailer.rq_settings` -> app = \"mailer.rq_settings\")")
    module = their_module(spec, spec, SystemSettingsError)
    return {k: v for k, v in vars(module).items() if k.isupper()}


def _symbol(spec: str, name: str, value):
    """A class named by a dotted path (as on rq's command line), or the object itself."""
    if not isinstance(value, str):
        return value
    module_name, _, attribute = value.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SystemSettingsError(f"app = {spec!r}: {name} = {value!r} does not name a class "
                                  f"({type(exc).__name__}: {exc})") from exc


def policy(spec: str, names: dict) -> dict:
    """What their settings mean, as RQ objects (validated): queues, worker class, serializer, retry,
    job timeout, maintenance interval."""
    from rq import Queue, Retry, Worker
    from rq.defaults import DEFAULT_MAINTENANCE_TASK_INTERVAL, DEFAULT_WORKER_TTL
    from rq.serializers import resolve_serializer

    queues = names.get("QUEUES", ["default"])  # rq's own default (rq/cli/workers.py)
    if not isinstance(queues, (list, tuple)) or not queues or not all(isinstance(q, str) and q for q in queues):
        raise SystemSettingsError(f"app = {spec!r}: QUEUES = {queues!r}: a list of queue names, e.g. [\"high\", \"default\"]")
    worker_class = _symbol(spec, "WORKER_CLASS", names.get("WORKER_CLASS", Worker))
    if not (isinstance(worker_class, type) and issubclass(worker_class, Worker)):
        raise SystemSettingsError(f"app = {spec!r}: WORKER_CLASS = {worker_class!r} is not a subclass of rq.Worker")
    try:  # a dotted path, one of rq's aliases ("json", "pickle") or the object; None: rq's default (pickle)
        serializer = resolve_serializer(names.get("SERIALIZER"))
    except (ImportError, AttributeError, ValueError, NotImplementedError) as exc:
        raise SystemSettingsError(f"app = {spec!r}: SERIALIZER = {names.get('SERIALIZER')!r} is not a serializer rq "
                                  f"accepts ({type(exc).__name__}: {exc})") from exc
    retry = names.get("RETRY")
    if retry is not None and not isinstance(retry, Retry):
        raise SystemSettingsError(f"app = {spec!r}: RETRY = {retry!r}: an rq.Retry, e.g. Retry(max=3, interval=[10, 30]), "
                                  f"or leave it out (no retry, RQ's default)")
    timeout = names.get("JOB_TIMEOUT", Queue.DEFAULT_TIMEOUT)
    if not isinstance(timeout, int) or timeout <= 0:  # RQ's death penalty is SIGALRM: whole seconds
        raise SystemSettingsError(f"app = {spec!r}: JOB_TIMEOUT = {timeout!r}: whole seconds > 0 (RQ's default: "
                                  f"{Queue.DEFAULT_TIMEOUT})")
    interval = names.get("MAINTENANCE_INTERVAL", DEFAULT_MAINTENANCE_TASK_INTERVAL)
    if not isinstance(interval, int) or interval <= 0:
        raise SystemSettingsError(f"app = {spec!r}: MAINTENANCE_INTERVAL = {interval!r}: whole seconds > 0 (RQ's "
                                  f"default: {DEFAULT_MAINTENANCE_TASK_INTERVAL})")
    with_scheduler = names.get("WITH_SCHEDULER", False)  # `rq worker` runs none unless --with-scheduler
    if not isinstance(with_scheduler, bool):
        raise SystemSettingsError(f"app = {spec!r}: WITH_SCHEDULER = {with_scheduler!r}: True or False")
    ttl = names.get("WORKER_TTL", DEFAULT_WORKER_TTL)
    if not isinstance(ttl, int) or ttl <= 15:
        raise SystemSettingsError(f"app = {spec!r}: WORKER_TTL = {ttl!r}: whole seconds > 15 (RQ's default: "
                                  f"{DEFAULT_WORKER_TTL})")
    return {"queues": list(queues), "worker_class": worker_class, "serializer": serializer, "retry": retry,
            "job_timeout": timeout, "maintenance_interval": interval, "with_scheduler": with_scheduler,
            "worker_ttl": ttl}


def _name(obj) -> str:
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return getattr(obj, "__name__", None) or repr(obj)  # a serializer may be a module (json, pickle)


def read(spec: str, kind: str | None, options: dict) -> dict:
    """Their settings as a profile of this backend has them, what was read, what is replaced."""
    refuse_options(options, "every setting is read from the settings module (see this module's docstring)")
    if kind not in KINDS:
        raise SystemSettingsError(f"RQ runs on {', '.join(KINDS)} only, not {kind!r}")
    names = load_settings(spec)
    p = policy(spec, names)
    retry = p["retry"]
    intervals = list(retry.intervals) if retry else [0]
    # An idle worker waits in BLPOP for worker_ttl - 15 s (Worker.dequeue_timeout) and runs its
    # maintenance only when it wakes: a short MAINTENANCE_INTERVAL does not shorten that wait.
    sweep = max(p["maintenance_interval"], p["worker_ttl"] - 15)
    as_read = {
        "QUEUES": p["queues"],
        "WORKER_CLASS": _name(p["worker_class"]),
        "SERIALIZER": _name(p["serializer"]),
        "MAINTENANCE_INTERVAL": p["maintenance_interval"],
        "WITH_SCHEDULER": p["with_scheduler"],
        "WORKER_TTL": p["worker_ttl"],
        "RETRY": f"Retry(max={retry.max}, interval={intervals})" if retry else None,
        "JOB_TIMEOUT": p["job_timeout"],
    }
    settings = {
        "description": f"a team's own RQ settings, {spec}, as they are",
        "retries": retry.max if retry else 0,
        "retry_countdown_s": float(max(intervals)),  # an upper bound of each wait: the drain waits that long
        "job_timeout_s": p["job_timeout"],
        "maintenance_interval_s": float(p["maintenance_interval"]),
        "worker_ttl_s": float(p["worker_ttl"]),
        # an abandoned job is seen only once its heartbeat expired, at the next maintenance of an idle worker
        "lease_s": float(sweep + HEARTBEAT_TTL_S),
        # how long a drain waits for RQ's own recovery of an abandoned job (re-enqueued with RETRY, or
        # moved to the failed registry without): one lease and a margin
        "recovery_window_s": float(sweep + HEARTBEAT_TTL_S + RECOVERY_MARGIN_S),
    }
    replaced = {
        "REDIS_URL": "the harness's Redis, behind its Toxiproxy proxy (every fault goes through it)",
        "jobs": f"the probe job targets.rq.tasks.run_task is enqueued on {p['queues'][0]!r} with RETRY and "
                f"JOB_TIMEOUT: it writes what ran to the ledger",
    }
    ignored = sorted(set(names) - set(NAMES) - {"REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"})
    if ignored:
        replaced["other names"] = f"{', '.join(ignored)}: not read (taskchaos reads {', '.join(NAMES)})"
    return {"settings": settings, "as_read": as_read, "replaced": replaced}


__all__ = ["KINDS", "NAMES", "SystemSettingsError", "load_settings", "policy", "read"]
