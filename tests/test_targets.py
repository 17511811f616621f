"""The target apps against the HTTP contract of ``targets/README.md``, over real HTTP.

Each backend's app is started with its real servers (Redis, the Celery or RQ worker, uvicorn) through
``chaos.infra.deployment.Deployment`` and the ``process`` driver, once per test class, and stopped
when the class is done. The common contract (health, validation, acceptance, the ledger, holds) is
checked for every backend by ``Contract``; each ``Test*`` class adds what is specific to its backend
(status API, retries, crashes, cancellation).

Every wait polls with a deadline (``wait_until``); the only fixed sleeps are the windows of negative
checks ("still held after a while").
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Callable

import httpx
import pytest
import redis

from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.infra.rabbitmq import rabbitmq_unavailable
from chaos.profile import get_profile
from chaos.records.ledger import LedgerRecord, read_ledger, release
from targets.rq.queues import QUEUE_NAME as RQ_QUEUE
from tests.helpers import a_worker_waits_in_a_blocking_pop

DEADLINE_S = 15.0  # for anything a healthy backend does in well under a second
POLL_S = 0.05
STATES = {"pending", "running", "retrying", "succeeded", "failed", "cancelled", "unknown"}
TERMINAL = {"succeeded", "failed", "cancelled"}


def wait_until(probe: Callable[[], object], what: str, deadline_s: float = DEADLINE_S, on_timeout: Callable[[], str] = str):
    """Poll ``probe`` until it returns something truthy; fail the test naming ``what`` otherwise."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {deadline_s:.0f} s: {what}\n{on_timeout()}")
        time.sleep(POLL_S)


def events(records: list[LedgerRecord]) -> list[tuple[int, str]]:
    return [(r.attempt, r.event) for r in records]


@dataclass
class Target:
    """One running deployment and an HTTP client for its app."""

    dep: Deployment
    http: httpx.Client

    @property
    def backend(self) -> str:
        return self.dep.profile.backend

    @staticmethod
    def key(label: str) -> str:
        return f"{label}-{uuid.uuid4().hex[:12]}"

    def logs(self) -> str:
        parts = []
        for path in sorted(self.dep.logs_dir.glob("*.log")):
            parts.append(f"--- {path.name} (tail) ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:]))
        return "\n".join(parts)

    def submit(self, **spec) -> str:
        response = self.http.post("/tasks", json=spec)
        assert response.status_code == 202, response.text
        body = response.json()
        assert set(body) == {"id", "key"} and body["key"] == spec["key"], body
        assert isinstance(body["id"], str) and body["id"], body
        return body["id"]

    def records(self, key: str) -> list[LedgerRecord]:
        snapshot = read_ledger(self.dep.ledger_dir)
        assert snapshot.torn_lines == 0
        return snapshot.for_key(key)

    def wait_records(self, key: str, done: Callable[[list[LedgerRecord]], bool], what: str,
                     deadline_s: float = DEADLINE_S) -> list[LedgerRecord]:
        return wait_until(lambda: (lambda rs: rs if done(rs) else None)(self.records(key)), f"{key}: {what}",
                          deadline_s, lambda: f"ledger: {events(self.records(key))}\n{self.logs()}")

    def wait_event(self, key: str, event: str, attempt: int | None = None, **detail) -> list[LedgerRecord]:
        def done(rs):
            return any(r.event == event and (attempt is None or r.attempt == attempt)
                       and all(r.detail.get(k) == v for k, v in detail.items()) for r in rs)
        return self.wait_records(key, done, f"a {event!r} record (attempt {attempt}, {detail})")

    def status(self, task_id: str) -> dict:
        response = self.http.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"id", "state", "raw_state", "detail"} and body["id"] == task_id, body
        assert body["state"] in STATES, body
        return body

    def wait_state(self, task_id: str, states: set[str]) -> tuple[dict, list[str]]:
        """Poll the status until its state is in ``states``; returns the answer and every state seen."""
        seen: list[str] = []

        def probe():
            body = self.status(task_id)
            if not seen or seen[-1] != body["state"]:
                seen.append(body["state"])
            return body if body["state"] in states else None

        body = wait_until(probe, f"task {task_id} in {states}", on_timeout=lambda: f"states seen: {seen}\n{self.logs()}")
        return body, seen


def start_target(profile_name: str, directory) -> tuple[Deployment, Target]:
    dep = Deployment(get_profile(profile_name), get_driver("process"), directory)
    return dep, Target(dep, httpx.Client(base_url=dep.app_url, timeout=5.0))


# Invalid task specs: (request kwargs for httpx, the field the 422 must name — None for the body itself).
INVALID = {
    "unknown-field": ({"json": {"key": "k", "bogus": 1}}, "bogus"),
    "missing-key": ({"json": {"duration_s": 1}}, "key"),
    "empty-key": ({"json": {"key": ""}}, "key"),
    "key-too-long": ({"json": {"key": "k" * 65}}, "key"),
    "key-with-space": ({"json": {"key": "has space"}}, "key"),
    "key-with-slash": ({"json": {"key": "../escape"}}, "key"),
    "key-not-a-string": ({"json": {"key": 5}}, "key"),
    "negative-duration": ({"json": {"key": "k", "duration_s": -1}}, "duration_s"),
    "duration-too-long": ({"json": {"key": "k", "duration_s": 301}}, "duration_s"),
    "duration-not-a-number": ({"json": {"key": "k", "duration_s": "fast"}}, "duration_s"),
    "fail-times-not-an-int": ({"json": {"key": "k", "fail_times": "x"}}, "fail_times"),
    "fail-times-fractional": ({"json": {"key": "k", "fail_times": 1.5}}, "fail_times"),
    "fail-times-too-many": ({"json": {"key": "k", "fail_times": 21}}, "fail_times"),
    "crash-times-negative": ({"json": {"key": "k", "crash_times": -1}}, "crash_times"),
    "hold-at-middle": ({"json": {"key": "k", "hold_at": "middle"}}, "hold_at"),
    "hold-timeout-zero": ({"json": {"key": "k", "hold_timeout_s": 0}}, "hold_timeout_s"),
    "hold-after-finish-negative": ({"json": {"key": "k", "hold_after_finish_s": -0.1}}, "hold_after_finish_s"),
    "empty-body": ({}, None),
    "json-null": ({"content": b"null", "headers": {"content-type": "application/json"}}, None),
    "json-array": ({"json": [{"key": "k"}]}, None),
    "not-json": ({"content": b"{not json", "headers": {"content-type": "application/json"}}, None),
    "text-plain": ({"content": b"key=k", "headers": {"content-type": "text/plain"}}, None),
}


class Contract:
    """What every target must do. Subclasses set ``PROFILE``."""

    PROFILE: str

    @pytest.fixture(scope="class")
    @classmethod
    def target(cls, tmp_path_factory):
        dep, target = start_target(cls.PROFILE, tmp_path_factory.mktemp(cls.PROFILE))
        with dep, target.http:
            yield target

    def test_health_names_the_backend(self, target):
        response = target.http.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is True and body["backend"] == target.backend
        assert body["pid"] == target.dep.server("app").pid

    @pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
    def test_invalid_spec_is_rejected_with_422(self, target, case):
        kwargs, field = INVALID[case]
        response = target.http.post("/tasks", **kwargs)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail, detail
        assert all(isinstance(d.get("msg"), str) and d["msg"] for d in detail), detail
        locs = [d["loc"] for d in detail]
        if field is not None:
            assert ["body", field] in locs, locs
        else:
            assert all(loc[0] == "body" for loc in locs), locs
        assert target.http.get("/health").status_code == 200  # the app survived it

    @pytest.mark.parametrize("key", [".", ".."])
    def test_dot_keys_are_rejected(self, target, key):
        # the ledger uses keys as file names (attempts/<key>, releases/<key>)
        response = target.http.post("/tasks", json={"key": key})
        assert response.status_code == 422, response.text

    def test_valid_task_is_accepted_and_ledgered(self, target):
        key = target.key("ok")
        task_id = target.submit(key=key)
        records = target.wait_event(key, "returned", attempt=1)
        assert events(records) == [(1, "started"), (1, "succeeded"), (1, "returned")]
        assert {r.task_id for r in records} == {task_id}
        assert {r.backend for r in records} == {target.backend}
        assert len({r.pid for r in records}) == 1
        app_pid = target.dep.server("app").pid
        if target.backend == "bgtasks":
            assert records[0].pid == app_pid  # BackgroundTasks runs the body in the app process
        else:
            assert records[0].pid != app_pid  # a worker does
        assert [r.mono for r in records] == sorted(r.mono for r in records)

    def test_duration_and_hold_after_finish_are_honoured(self, target):
        key = target.key("timed")
        target.submit(key=key, duration_s=0.3, hold_after_finish_s=0.3)
        records = {r.event: r for r in target.wait_event(key, "returned")}
        assert records["succeeded"].mono - records["started"].mono >= 0.3
        assert records["returned"].mono - records["succeeded"].mono >= 0.3

    def test_held_task_waits_for_release(self, target):
        key = target.key("held")
        task_id = target.submit(key=key, hold_at="start", hold_timeout_s=20)
        try:
            held = target.wait_event(key, "held", attempt=1, point="start")
            assert events(held) == [(1, "started"), (1, "held")]
            if target.backend != "bgtasks":
                assert target.status(task_id)["state"] == "running"
            time.sleep(0.3)  # negative check: nothing moves while held
            assert events(target.records(key)) == [(1, "started"), (1, "held")]
        finally:
            released_at = time.monotonic()
            release(target.dep.ledger_dir, key)
        records = target.wait_event(key, "returned")
        assert events(records) == [(1, "started"), (1, "held"), (1, "released"), (1, "succeeded"), (1, "returned")]
        released = records[2]
        assert released.detail == {"point": "start", "timed_out": False}
        assert released.mono >= released_at

    def test_hold_at_finish_holds_after_success(self, target):
        key = target.key("held-finish")
        task_id = target.submit(key=key, hold_at="finish", hold_timeout_s=20)
        try:
            held = target.wait_event(key, "held", point="finish")
            assert events(held) == [(1, "started"), (1, "succeeded"), (1, "held")]
            if target.backend != "bgtasks":  # the work is done but the body has not returned
                assert target.status(task_id)["state"] == "running"
        finally:
            release(target.dep.ledger_dir, key)
        records = target.wait_event(key, "returned")
        assert events(records)[-2:] == [(1, "released"), (1, "returned")]
        assert records[-2].detail == {"point": "finish", "timed_out": False}

    def test_hold_timeout_bounds_a_hold(self, target):
        key = target.key("hold-timeout")
        target.submit(key=key, hold_at="start", hold_timeout_s=0.3)
        records = target.wait_event(key, "returned")  # nobody releases it
        assert events(records) == [(1, "started"), (1, "held"), (1, "released"), (1, "succeeded"), (1, "returned")]
        held, released = records[1], records[2]
        assert released.detail == {"point": "start", "timed_out": True}
        assert 0.3 <= released.mono - held.mono < 5


class TestBackgroundTasksTarget(Contract):
    PROFILE = "bgtasks"

    def test_status_is_unsupported(self, target):
        key = target.key("status")
        task_id = target.submit(key=key)
        for tid in (task_id, "no-such-task"):
            response = target.http.get(f"/tasks/{tid}")
            assert response.status_code == 501, response.text
            assert response.json()["detail"]

    def test_cancel_is_unsupported(self, target):
        response = target.http.post("/tasks/whatever/cancel")
        assert response.status_code == 501, response.text
        assert response.json()["detail"]

    def test_time_limit_is_unsupported(self, target):
        response = target.http.post("/tasks", json={"key": target.key("limited"), "time_limit_s": 1})
        assert response.status_code == 501, response.text
        assert response.json()["unsupported"] == ["time_limit"]


class QueueContract(Contract):
    """Celery and RQ: a status API, cancellation, a worker process."""

    def test_status_moves_to_succeeded(self, target):
        key = target.key("status")
        task_id = target.submit(key=key, duration_s=0.3)
        body, seen = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "succeeded", (body, seen)
        assert body["raw_state"] == {"celery": "SUCCESS", "rq": "finished"}[target.backend]
        assert set(seen) <= {"pending", "running", "succeeded"}, seen
        assert events(target.records(key))[-1] == (1, "returned")

    def test_cancel_prevents_a_queued_task(self, target):
        blocker, victim = target.key("blocker"), target.key("victim")
        target.submit(key=blocker, hold_at="start", hold_timeout_s=20)  # the single worker slot is busy
        try:
            target.wait_event(blocker, "held")
            victim_id = target.submit(key=victim)
            response = target.http.post(f"/tasks/{victim_id}/cancel")
            assert response.status_code == 200, response.text
            assert response.json() == {"id": victim_id, "cancelled": True, "terminate": False}
        finally:
            release(target.dep.ledger_dir, blocker)
        target.wait_event(blocker, "returned")
        body, seen = target.wait_state(victim_id, TERMINAL)
        assert body["state"] == "cancelled", (body, seen)
        assert target.records(victim) == []  # it never ran

    def test_cancel_with_terminate_stops_a_running_task(self, target):
        key = target.key("running")
        task_id = target.submit(key=key, hold_at="start", hold_timeout_s=20)
        try:
            target.wait_event(key, "held")
            response = target.http.post(f"/tasks/{task_id}/cancel", params={"terminate": "true"})
            assert response.status_code == 200, response.text
            assert response.json() == {"id": task_id, "cancelled": True, "terminate": True}
            body, seen = target.wait_state(task_id, {"cancelled", "failed", "succeeded"})
        finally:
            release(target.dep.ledger_dir, key)
        assert body["state"] == "cancelled", (body, seen)
        follower = target.submit(key=target.key("after-cancel"))  # the worker goes on serving
        assert target.wait_state(follower, TERMINAL)[0]["state"] == "succeeded"
        assert "succeeded" not in [e for _, e in events(target.records(key))]

    def test_time_limit_stops_an_overrunning_task(self, target):
        key = target.key("overrun")
        task_id = target.submit(key=key, duration_s=8, time_limit_s=1)
        body, seen = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "failed", (body, seen)
        assert "Time" in body["detail"], body  # SoftTimeLimitExceeded / JobTimeoutException
        assert [e for _, e in events(target.records(key))].count("succeeded") == 0

    def test_status_reads_write_nothing(self, target):
        """Observing must not change the outcome: with the worker frozen (SIGSTOP: nothing else writes
        to Redis), status reads of a finished task and of an unknown id leave Redis's write counter as is."""
        key = target.key("observed")
        task_id = target.submit(key=key)
        target.wait_state(task_id, TERMINAL)
        worker = target.dep.server("worker")
        worker.pause()
        client = redis.Redis.from_url(target.dep.redis_url)
        try:
            before = client.info("persistence")["rdb_changes_since_last_save"]
            for _ in range(5):
                assert target.status(task_id)["state"] == "succeeded"
                target.status("no-such-task")
            assert client.info("persistence")["rdb_changes_since_last_save"] == before
        finally:
            worker.resume()
        try:  # the probe sees writes: a finished task's result is one, whichever server holds the queue
            target.wait_state(target.submit(key=target.key("probe")), TERMINAL)
            assert client.info("persistence")["rdb_changes_since_last_save"] > before
        finally:
            client.close()


class TestCeleryTarget(QueueContract):
    PROFILE = "celery-default"

    def test_unknown_id_reads_as_pending(self, target):
        # Celery's result backend cannot tell "never heard of it" from "queued": both are PENDING.
        body = target.status("no-such-task")
        assert (body["state"], body["raw_state"]) == ("pending", "PENDING")

    def test_fail_times_is_retried_to_success(self, target):
        key = target.key("fail-once")
        task_id = target.submit(key=key, fail_times=1)
        body, seen = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "succeeded", (body, seen)
        records = target.records(key)
        assert events(records) == [(1, "started"), (1, "failed"), (2, "started"), (2, "succeeded"), (2, "returned")]
        assert {r.task_id for r in records} == {task_id}  # self.retry keeps the task id
        countdown = target.dep.profile.retry_countdown_s
        assert records[2].mono - records[1].mono >= countdown * 0.8  # retry countdown honoured


@pytest.mark.skipif(rabbitmq_unavailable() is not None, reason=f"Celery on RabbitMQ: {rabbitmq_unavailable()}")
class TestCeleryOnRabbitMQTarget(TestCeleryTarget):
    """The same contract, with RabbitMQ as the broker (a durable classic queue, persistent messages)
    and Redis as the result store."""

    PROFILE = "celery-rabbitmq-acks-late@durable"

    def test_the_queue_is_on_rabbitmq_and_results_in_redis(self, target):
        assert target.dep.broker.name == "rabbitmq" and target.dep.servers["redis"].role == "results"
        assert target.dep.broker_url.startswith("amqp://") and target.dep.toxiproxy.upstream_port == target.dep.ports["rabbitmq"]
        task_id = target.submit(key=target.key("on-rabbitmq"))
        assert target.wait_state(task_id, TERMINAL)[0]["state"] == "succeeded"


class TestRQTarget(QueueContract):
    PROFILE = "rq-retry"

    def test_unknown_id_reads_as_unknown(self, target):
        body = target.status("no-such-task")
        assert (body["state"], body["raw_state"]) == ("unknown", None)
        assert body["detail"]

    def test_cancel_of_an_unknown_id_is_404_and_a_second_cancel_is_409(self, target):
        response = target.http.post("/tasks/no-such-task/cancel")
        assert response.status_code == 404, response.text
        assert "no job 'no-such-task'" in response.json()["detail"]
        blocker = target.key("blocker")
        target.submit(key=blocker, hold_at="start", hold_timeout_s=20)
        try:
            target.wait_event(blocker, "held")
            victim_id = target.submit(key=target.key("twice"))
            assert target.http.post(f"/tasks/{victim_id}/cancel").status_code == 200
            response = target.http.post(f"/tasks/{victim_id}/cancel")
            assert response.status_code == 409, response.text
            assert "already canceled" in response.json()["detail"]
        finally:
            release(target.dep.ledger_dir, blocker)

    def test_crash_is_retried_in_a_new_process(self, target):
        key = target.key("crash-once")
        task_id = target.submit(key=key, crash_times=1)
        body, seen = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "succeeded", (body, seen)
        records = target.records(key)
        assert events(records) == [(1, "started"), (1, "crashing"), (2, "started"), (2, "succeeded"), (2, "returned")]
        assert records[0].pid == records[1].pid != records[2].pid  # the crashed work horse is gone
        assert {r.task_id for r in records} == {task_id}
        assert target.dep.server("worker").is_alive()  # only the work horse died

    def test_status_read_does_not_run_registry_cleanup(self, target):
        """The design's example of an innocent-looking read with a side effect: RQ's registry reads
        (``StartedJobRegistry.count`` / ``get_job_ids``) run ``cleanup()``, which retries or fails
        abandoned jobs. The status route must leave an abandoned job exactly where it is."""
        from rq.registry import StartedJobRegistry

        key = target.key("abandoned")
        task_id = target.submit(key=key, hold_at="start", hold_timeout_s=20)
        worker = target.dep.server("worker")
        client = redis.Redis.from_url(f"{target.dep.redis_url}/0")
        try:
            target.wait_event(key, "held")
            worker.kill()  # kill -9 worker and work horse: the job is abandoned in state "started"
            registry_key = StartedJobRegistry(RQ_QUEUE, connection=client).key
            member = next(m for m in client.zrange(registry_key, 0, -1) if m.decode().startswith(task_id))
            client.zadd(registry_key, {member: 1}, xx=True)  # as if its heartbeat had expired long ago
            before = client.info("persistence")["rdb_changes_since_last_save"]
            for _ in range(5):
                body = target.status(task_id)
                assert (body["state"], body["raw_state"]) == ("running", "started")
            assert client.info("persistence")["rdb_changes_since_last_save"] == before
            assert client.zscore(registry_key, member) == 1  # still abandoned, untouched
        finally:
            release(target.dep.ledger_dir, key)
            client.close()
            if not worker.is_alive():
                worker.start()
        # The restarted worker's maintenance recovers it (rq.Retry: a second attempt).
        body, _ = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "succeeded"
        assert events(target.records(key))[-1] == (2, "returned")

    def test_submit_answers_503_when_redis_is_down(self, target):
        # Stopped only while the worker waits in its pop, where RQ retries the connection: stopped
        # between two tasks (the previous test's recovery), RQ's worker quits and nothing runs after.
        wait_until(lambda: a_worker_waits_in_a_blocking_pop(target.dep), "the worker waiting in BLPOP",
                   on_timeout=target.logs)
        redis_server = target.dep.server("redis")
        redis_server.stop()
        try:
            response = target.http.post("/tasks", json={"key": target.key("no-redis")})
            assert response.status_code == 503, response.text
            assert "ConnectionError" in response.json()["detail"]
            assert target.http.get("/tasks/some-id").status_code == 503
            assert target.http.get("/health").status_code == 200  # /health is the app's liveness only
        finally:
            redis_server.start()
        key = target.key("after-redis")
        task_id = target.submit(key=key)  # the app reconnects, the worker resumes
        body, _ = target.wait_state(task_id, TERMINAL)
        assert body["state"] == "succeeded"
