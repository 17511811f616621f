"""rq-scheduler — the "extra tool" the seed says RQ needs to run tasks periodically — as a server of
the deployment (the ``beat`` need, for RQ): ``python -m targets.rq.periodic``.

It registers one periodic job, ``targets.rq.tasks.tick`` every ``TASKCHAOS_BEAT_PERIOD_S`` seconds,
unless Redis already holds it (a restarted scheduler keeps the schedule it finds, as rq-scheduler's
docs advise), prints ``taskchaos rq periodic ready``, and runs rq-scheduler's own loop
(``Scheduler.run``), polling every ``POLL_S``.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timedelta, timezone

from redis import Redis
from rq_scheduler import Scheduler

from targets.body import redis_url_from_env, settings_from_env
from targets.redis_client import redis_kwargs
from targets.rq.queues import QUEUE_NAME

TICK_JOB_ID = "taskchaos-tick"
POLL_S = 0.2


def main() -> None:
    profile = settings_from_env()
    period = int(float(os.environ["TASKCHAOS_BEAT_PERIOD_S"]))  # rq-scheduler keeps intervals in whole seconds
    connection = Redis.from_url(f"{redis_url_from_env()}/0", **redis_kwargs(profile["redis_client"]))
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    scheduler = Scheduler(queue_name=QUEUE_NAME, connection=connection, interval=POLL_S)
    if TICK_JOB_ID not in scheduler:
        scheduler.schedule(scheduled_time=datetime.now(timezone.utc) + timedelta(seconds=period),
                           func="targets.rq.tasks.tick", interval=period, repeat=None, id=TICK_JOB_ID)
    print("taskchaos rq periodic ready", flush=True)
    scheduler.run()


if __name__ == "__main__":
    main()
