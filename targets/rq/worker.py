"""Start an RQ worker with the profile's Redis client settings and maintenance interval.

``python -m targets.rq.worker``; with ``TASKCHAOS_COUNTDOWN_SCHEDULER=1`` (the deployment's ``countdown_scheduler``
need) the worker also runs RQ's built-in scheduler, which moves jobs from the ScheduledJobRegistry
(``enqueue_in``/``enqueue_at``, retry intervals > 0) to their queue. The harness waits for the line ``taskchaos rq worker ready`` —
printed once the worker has registered itself in Redis, right before it starts listening.

A team's own settings (a profile with ``system``, targets/rq/system.py): their worker class, with the
same line added, listens on their ``QUEUES`` with their serializer and maintenance interval, and runs
the scheduler as their ``WITH_SCHEDULER`` says (or when the deployment asks for it).
"""

from __future__ import annotations

import logging
import os
import sys

from redis import Redis
from rq import Queue, Worker

from targets.body import redis_url_from_env, settings_from_env
from targets.redis_client import redis_kwargs
from targets.rq.queues import LISTEN_ORDER


def ready(worker_class: type[Worker]) -> type[Worker]:
    """``worker_class`` that prints the line the harness waits for once it is registered in Redis."""
    class ReadyWorker(worker_class):
        def register_birth(self, *args, **kwargs):
            super().register_birth(*args, **kwargs)
            print(f"taskchaos rq worker ready: {self.name}", flush=True)

    return ReadyWorker


def main() -> None:
    profile = settings_from_env()
    settings = profile["settings"]
    connection = Redis.from_url(f"{redis_url_from_env()}/0", **redis_kwargs(profile["redis_client"]))
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    scheduler = os.environ.get("TASKCHAOS_COUNTDOWN_SCHEDULER") == "1"
    if profile.get("system"):
        from targets.rq.system import load_settings, policy

        spec = profile["system"]["app"]
        theirs = policy(spec, load_settings(spec))
        queues = [Queue(name, connection=connection, serializer=theirs["serializer"]) for name in theirs["queues"]]
        worker = ready(theirs["worker_class"])(queues, connection=connection, serializer=theirs["serializer"],
                                               maintenance_interval=theirs["maintenance_interval"],
                                               worker_ttl=theirs["worker_ttl"])
        scheduler = scheduler or theirs["with_scheduler"]
    else:
        queues = [Queue(name, connection=connection) for name in LISTEN_ORDER]  # highest priority first
        worker = ready(Worker)(queues, connection=connection, maintenance_interval=settings["maintenance_interval_s"])
    worker.work(logging_level="INFO", with_scheduler=scheduler)


if __name__ == "__main__":
    main()
