"""Observing must not change the outcome: a reading of the real RQ Dashboard leaves an abandoned
job where it is, although RQ's own registry reads would have "cleaned it up" (moved it to the
failed registry) — shown on the same kind of job right after, so the test can fail."""

import os
import sys
import time
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from chaos.infra import get_driver
from chaos.infra.ports import free_port
from chaos.infra.readiness import HttpHealth
from chaos.backends import get_backend

REPO_ROOT = Path(__file__).resolve().parents[1]
QUEUE = "taskchaos"


@pytest.fixture
def redis_and_dashboard(tmp_path):
    driver = get_driver("process")
    redis_port, port = free_port(), free_port()
    redis = driver.redis(name="redis", port=redis_port, durability="none", workdir=tmp_path / "data",
                         log_path=tmp_path / "redis.log")
    auth = ("taskchaos", "test-secret")
    launch = get_backend("rq").monitor().launch(python=sys.executable, port=port, broker_url=f"redis://127.0.0.1:{redis_port}",
                                   redis_url=f"redis://127.0.0.1:{redis_port}",
                                   workdir=tmp_path, user=auth[0], password=auth[1])
    dashboard = driver.python(name="monitor", role="monitor", argv=launch.argv, env={**os.environ, **launch.env},
                              cwd=REPO_ROOT, log_path=tmp_path / "rq-dashboard.log",
                              ready=HttpHealth(f"http://127.0.0.1:{port}{launch.health_path}", auth=auth))
    redis.start()
    try:
        dashboard.start()
        yield Redis(port=redis_port), f"http://127.0.0.1:{port}", auth
    finally:
        dashboard.kill()
        redis.kill()


def abandoned_job(connection: Redis) -> str:
    """A job a dead work horse left behind: status started, in the started registry, its entry expired."""
    queue = Queue(QUEUE, connection=connection)
    job = queue.enqueue("targets.rq.tasks.run_task", {"key": "x"})
    queue.remove(job.id)
    job.set_status(JobStatus.STARTED)
    connection.zadd(StartedJobRegistry(QUEUE, connection=connection).key, {f"{job.id}:exec-1": time.time() - 100})
    return job.id


def test_reading_rq_dashboard_leaves_an_abandoned_job_alone(redis_and_dashboard):
    connection, url, auth = redis_and_dashboard
    job_id = abandoned_job(connection)
    with httpx.Client(base_url=url, auth=auth, timeout=5) as http:
        reading = get_backend("rq").monitor().read(http)
        assert httpx.get(f"{url}/0/data/queues.json", timeout=30).status_code == 401  # the API wants the credentials
    assert reading.tasks[job_id] == {"state": "running", "raw_state": "started"}
    assert reading.counts["running"] == 1 and reading.counts["failed"] == 0
    assert all(path.startswith("/0/data/") for path in reading.endpoints)
    started = StartedJobRegistry(QUEUE, connection=connection)
    assert started.get_job_ids(cleanup=False) == [job_id]
    assert FailedJobRegistry(QUEUE, connection=connection).get_job_ids(cleanup=False) == []

    # The same read through RQ's own API (registry.count runs cleanup()) changes the outcome.
    assert started.count == 0
    assert FailedJobRegistry(QUEUE, connection=connection).get_job_ids(cleanup=False) == [job_id]


@pytest.mark.parametrize("profile", ["celery-default", "celery-rabbitmq"])
def test_flower_is_ready_once_it_has_seen_an_event_through_the_broker(tmp_path, profile):
    """Flower's readiness on each broker kind: the probe's task-sent event travels through the broker
    (Redis pub/sub, RabbitMQ's celeryev exchange) to Flower's receiver; a reading leaves it out."""
    from chaos.infra.deployment import Deployment
    from chaos.profile import get_profile
    from targets.celery.monitor import PROBE_ID, FlowerSawAnEvent

    deployment = Deployment(get_profile(profile), get_driver("process"), tmp_path, needs={"monitor": True})
    probe = FlowerSawAnEvent(deployment.broker_url, deployment.monitor_url, deployment.monitor_auth)
    assert not probe()  # nothing serves yet
    with deployment:
        with httpx.Client(base_url=deployment.monitor_url, auth=deployment.monitor_auth, timeout=5) as http:
            assert PROBE_ID in http.get("/api/tasks").json()  # what up() waited for
            reading = get_backend("celery").monitor().read(http)
    assert PROBE_ID not in reading.tasks and sum(reading.counts.values()) == 0
