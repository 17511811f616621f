"""Start an RQ worker with the profile's Redis client settings and maintenance interval.

``python -m targets.rq.worker``; with ``TASKCHAOS_COUNTDOWN_SCHEDULER=1`` (the deployment's ``countdown_scheduler``
need) the worker also runs RQ's built-in scheduler, which moves jobs from the ScheduledJobRegistry
(``enqueue_in``/``enqueue_at``, retry intervals > 0) to their queue. The harness waits for the line ``taskchaos rq worker ready`` —
printed once the worker has registered itself in Redis, right before it starts listening.
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


class ReadyWorker(Worker):
    def register_birth(self, *args, **kwargs):
        super().register_birth(*args, **kwargs)
        print(f"taskchaos rq worker ready: {self.name}", flush=True)


def main() -> None:
    profile = settings_from_env()
    settings = profile["settings"]
    connection = Redis.from_url(f"{redis_url_from_env()}/0", **redis_kwargs(profile["redis_client"]))
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    queues = [Queue(name, connection=connection) for name in LISTEN_ORDER]  # highest priority first
    worker = ReadyWorker(queues, connection=connection,
                         maintenance_interval=settings["maintenance_interval_s"])
    worker.work(logging_level="INFO", with_scheduler=os.environ.get("TASKCHAOS_COUNTDOWN_SCHEDULER") == "1")


if __name__ == "__main__":
    main()
