"""RQ target, shaped like the seed's code: ``queue.enqueue(...)``, with ``rq.Retry`` when the profile
asks for retries.

Priority: RQ's own way, ordered queues. A worker listens on ``taskchaos.p9`` … ``taskchaos.p0`` and
then ``taskchaos`` (tasks that ask no priority), and always dequeues from the first non-empty queue in
that order (``Queue.dequeue_any``, BLPOP over the keys in order); a task asking priority p is
enqueued on ``taskchaos.p<p>``.

Status uses ``Job.fetch(id).get_status(refresh=False)``: HGETALL of the job hash and nothing else.
Registry reads such as ``StartedJobRegistry.count`` or ``get_job_ids`` run ``cleanup()`` as a side
effect (moving abandoned jobs to the failed registry, or retrying them — rq/registry.py), so the
status API never calls them: observing must not change the outcome.

A team's own settings (a profile with ``system``): the probe job goes to their first queue with their
``RETRY``, ``JOB_TIMEOUT`` and serializer (targets/rq/system.py); priorities are answered 501, their
queues' order being theirs.
"""

from __future__ import annotations

import math
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from targets.body import redis_url_from_env, settings_from_env
from targets.contract import Conflict, NotFound, TaskStatus, build_app
from targets.redis_client import redis_kwargs
from targets.rq.queues import PRIORITY_QUEUE_NAMES, QUEUE_NAME

PROFILE = settings_from_env()
S = PROFILE["settings"]

redis_conn = Redis.from_url(f"{redis_url_from_env()}/0", **redis_kwargs(PROFILE["redis_client"]))
SYSTEM = PROFILE.get("system")  # a team's own settings (targets/rq/system.py), judged as they are
if SYSTEM:
    from targets.rq.system import load_settings, policy

    THEIRS = policy(SYSTEM["app"], load_settings(SYSTEM["app"]))
    SERIALIZER = THEIRS["serializer"]
    RETRY = THEIRS["retry"]
    queue = Queue(THEIRS["queues"][0], connection=redis_conn, default_timeout=THEIRS["job_timeout"], serializer=SERIALIZER)
    priority_queues = {}  # their queues' order is theirs: no priority of ours on top of it
else:
    SERIALIZER = None  # rq's default
    RETRY = Retry(max=S["retries"], interval=S["retry_countdown_s"]) if S["retries"] else None
    queue = Queue(QUEUE_NAME, connection=redis_conn, default_timeout=S["job_timeout_s"])
    priority_queues = {name: Queue(name, connection=redis_conn, default_timeout=S["job_timeout_s"])
                       for name in PRIORITY_QUEUE_NAMES}

_STATE = {
    "queued": "pending",
    "deferred": "pending",
    "scheduled": "pending",
    "created": "pending",
    "started": "running",
    "finished": "succeeded",
    "failed": "failed",
    "stopped": "cancelled",
    "canceled": "cancelled",
}


class RQAdapter:
    backend = "rq"
    # countdown: Queue.enqueue_in puts the job in the ScheduledJobRegistry; only a worker started
    # with its scheduler (targets/rq/worker.py, the deployment's "countdown_scheduler" need) moves it to the queue.
    features: frozenset[str] = frozenset({"time_limit", "countdown"} | ({"priority"} if priority_queues else set()))

    def submit(self, spec, schedule) -> str:
        retry = RETRY
        # job_timeout is whole seconds in RQ's death-penalty (SIGALRM); round up, never down to 0
        timeout = None if spec.time_limit_s is None else max(1, math.ceil(spec.time_limit_s))
        target = queue if spec.priority is None else priority_queues[f"{QUEUE_NAME}.p{spec.priority}"]
        if spec.countdown_s:
            job = target.enqueue_in(timedelta(seconds=spec.countdown_s), "targets.rq.tasks.run_task", spec.model_dump(),
                                    retry=retry, job_timeout=timeout)
        else:
            job = target.enqueue("targets.rq.tasks.run_task", spec.model_dump(), retry=retry, job_timeout=timeout)
        return job.id

    def status(self, task_id: str) -> TaskStatus:
        try:
            job = Job.fetch(task_id, connection=redis_conn, serializer=SERIALIZER)
        except NoSuchJobError:
            return TaskStatus("unknown", None, "no such job")
        raw = job.get_status(refresh=False)
        raw = getattr(raw, "value", raw)
        detail = None
        if raw == "failed":
            detail = (job.exc_info or "").strip().splitlines()[-1:] or None
            detail = detail[0] if detail else None
        return TaskStatus(_STATE.get(raw, "unknown"), raw, detail)

    def cancel(self, task_id: str, terminate: bool) -> bool:
        """``job.cancel()`` for a job that is not executing; with ``terminate``, a job executing in a work
        horse is stopped instead (``send_stop_job_command``: the worker kills the horse, status ``stopped``)."""
        try:
            job = Job.fetch(task_id, connection=redis_conn, serializer=SERIALIZER)
        except NoSuchJobError:
            raise NotFound(f"RQ has no job {task_id!r} (never enqueued, or its hash expired)") from None
        try:
            if terminate and job.worker_name:
                send_stop_job_command(redis_conn, task_id)
            else:
                job.cancel()
        except InvalidJobOperation as exc:
            raise Conflict(f"RQ refused to cancel job {task_id!r}: {exc}") from None
        return True


app = build_app(RQAdapter())
