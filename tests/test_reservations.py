"""What the network faults wait for before they strike (Deployment.await_reservations, a backend's
``reservations_full``; chaos/nemesis/network.py): on a real redis-server and a real Celery worker,
the workers have taken all they will once every prefetch window is full or nothing is queued; a
frozen worker that cannot take its share is reported, for the cell to be inconclusive."""

import httpx

from chaos.backends import get_backend
from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.landing import missed
from chaos.profile import get_profile
from chaos.records.ledger import read_ledger, release
from tests.helpers import wait_for


def _held(dep, key):
    return [r for r in read_ledger(dep.ledger_dir).records if r.key == key and r.event == "held"]


def _submit(dep, *keys, **spec):
    for key in keys:
        answer = httpx.post(f"{dep.app_url}/tasks", json={"key": key, "duration_s": 0.1, **spec}, timeout=30)
        assert answer.status_code == 202, answer.text


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
