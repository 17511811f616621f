"""What every broker fault waits for before it strikes (Deployment.await_reservations, a backend's
``reservations_full``; chaos/runner.py _await_reservations): on a real redis-server and a real Celery
worker, the workers have taken all they will once every prefetch window is full or nothing is queued,
and no acknowledged task is between a worker's pop and its record of it; a frozen worker that cannot
take its share is reported, for the cell to be inconclusive."""

import json

import httpx
import redis

from chaos.backends import get_backend
from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.landing import missed
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger, release
from tests.helpers import wait_for


def _held(dep, key):
    return [r for r in read_ledger(dep.ledger_dir).records if r.key == key and r.event == "held"]


def _submit(dep, *keys, **spec) -> list[str]:
    ids = []
    for key in keys:
        answer = httpx.post(f"{dep.app_url}/tasks", json={"key": key, "duration_s": 0.1, **spec}, timeout=30)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def _window_fills_behind_a_held_task(tmp_path, profile):
    dep = Deployment(get_profile(profile), get_driver("process"), tmp_path)
    with dep:
        _submit(dep, "h", hold_at="start", hold_timeout_s=60)
        held = wait_for(lambda: _held(dep, "h"))
        running = [held[0].task_id]
        assert dep.await_reservations(running)["full"] is True  # nothing queued behind it
        worker = dep.executors[0]
        worker.pause()  # the worker cannot pop: what is submitted now stays queued
        try:
            _submit(dep, "q1", "q2", "q3", "q4", "q5")
            stalled = dep.await_reservations(running, deadline_s=0.3)
            assert stalled["full"] is False and stalled["waited_s"] > 0.3  # it waited its deadline (a poll may outlast it)
            assert "never took from the broker all they would" in missed([{"name": "reset-peer",
                                                                          "struck": {"reservations": stalled}}])
        finally:
            worker.resume()
        filled = dep.await_reservations(running)
        assert filled["full"] is True, filled
        release(dep.ledger_dir, "h")



def test_early_ack_window_holds_four_waiting_tasks(tmp_path):
    _window_fills_behind_a_held_task(tmp_path, "celery-default")


def test_acks_late_window_counts_the_running_task(tmp_path):
    _window_fills_behind_a_held_task(tmp_path, "celery-acks-late")


def test_the_probe_counts_the_window_and_the_held_task_against_the_broker(tmp_path):
    """Asked directly: with the held task acked (early ack), four reserved fill a window of four and a
    window of five is not full while one waits in the queue; with acks_late the held task takes a slot."""
    dep = Deployment(get_profile("celery-default"), get_driver("process"), tmp_path)
    celery = get_backend("celery")
    with dep:
        _submit(dep, "h", hold_at="start", hold_timeout_s=60)
        running = [wait_for(lambda: _held(dep, "h"))[0].task_id]
        _submit(dep, "q1", "q2", "q3", "q4", "q5")
        assert dep.await_reservations(running)["full"] is True
        url = dep.kind.url_for(dep.ports[dep.kind.name])
        settings = dep.profile.settings
        assert celery.reservations_full("redis", url, {**settings, "prefetch_multiplier": 5}, 1, running) is False
        assert celery.reservations_full("redis", url, settings, 2, running) is False  # a second worker would pop q5
        release(dep.ledger_dir, "h")


def test_backends_and_brokers_that_cannot_tell_say_so():
    assert get_backend("celery").reservations_full("rabbitmq", "amqp://guest:guest@127.0.0.1:1//", {}, 1, []) is None
    assert get_backend("rq").reservations_full("redis", "redis://127.0.0.1:1", {}, 1, []) is None


def test_a_task_popped_and_not_yet_recorded_is_waited_for(tmp_path):
    """The instant between kombu's BRPOP and its write to ``unacked`` (QoS.append), played on the real
    broker by the test itself: it pops the only queued message as a worker would, and the probe, which
    saw "nothing queued: full" before it knew the task, now waits; once the message is in ``unacked``
    (what QoS.append writes) the task rests in the broker again. A broker killed in that instant comes
    back without the task whatever its durability (targets/celery/deliveries.py)."""
    dep = Deployment(get_profile("celery-default"), get_driver("process"), tmp_path)
    celery = get_backend("celery")
    with dep:
        _submit(dep, "h", hold_at="start", hold_timeout_s=60)
        running = [wait_for(lambda: _held(dep, "h"))[0].task_id]
        _submit(dep, "q1", "q2", "q3", "q4")
        assert dep.await_reservations(running)["full"] is True  # the window of four is full: q5 stays queued
        url = dep.kind.url_for(dep.ports[dep.kind.name])
        settings = dep.profile.settings
        broker = redis.Redis.from_url(f"{url}/0")
        try:
            [q5] = _submit(dep, "q5")
            [queue] = [k for k in broker.scan_iter() if broker.type(k) == b"list" and broker.llen(k)]
            raw = broker.rpop(queue)  # a worker's BRPOP: the message has left the queue
            assert celery.reservations_full("redis", url, settings, 1, running) is True  # blind to it
            assert celery.reservations_full("redis", url, settings, 1, running, [q5]) is False
            stalled = dep.await_reservations(running, [q5], deadline_s=0.2)
            assert stalled["full"] is False and stalled["polls"] > 1, stalled
            broker.hset("unacked", "tag-of-q5", json.dumps([json.loads(raw), "", queue.decode()]))
            assert celery.reservations_full("redis", url, settings, 1, running, [q5]) is True
            broker.hdel("unacked", "tag-of-q5")
            broker.lpush(queue, raw)  # back where the worker takes it
        finally:
            broker.close()
        release(dep.ledger_dir, "h")
