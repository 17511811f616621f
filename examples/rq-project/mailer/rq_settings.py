"""The mailer's RQ settings, the module its workers start with (`rq worker -c mailer.rq_settings`),
as it runs in production (not one of taskchaos's profiles): three queues listened to in order, JSON
instead of pickle, maintenance every 30 s instead of 600 s so that a job abandoned by a dead worker is
found sooner, and the enqueue policy its code uses everywhere (mailer/jobs.py): three retries 1, 2 and 4 s
apart (which needs the worker's scheduler) and a five-minute job timeout."""

from rq import Retry

REDIS_URL = "redis://localhost:6379/0"
QUEUES = ["high", "default", "low"]
SERIALIZER = "rq.serializers.JSONSerializer"
MAINTENANCE_INTERVAL = 30
WITH_SCHEDULER = True
RETRY = Retry(max=3, interval=[1, 2, 4])
JOB_TIMEOUT = 300
