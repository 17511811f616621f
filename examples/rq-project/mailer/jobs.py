"""The mailer's own jobs (taskchaos never calls them: it enqueues a probe job of its own)."""

from redis import Redis
from rq import Queue

from mailer import rq_settings


def send_welcome(address: str) -> str:
    return f"welcome mail sent to {address}"


def enqueue_welcome(address: str):
    queue = Queue("default", connection=Redis.from_url(rq_settings.REDIS_URL), serializer=rq_settings.SERIALIZER)
    return queue.enqueue(send_welcome, address, retry=rq_settings.RETRY, job_timeout=rq_settings.JOB_TIMEOUT)
