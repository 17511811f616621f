"""What every broker fault waits for before it strikes (Deployment.await_received; a broker kind's
``receipts``, chaos/infra/receipts.py): on a real RabbitMQ node behind Toxiproxy and a real Celery
app publishing without confirms, a task the app answered 202 for while its publish was still in the
proxy is not received until it arrives; the receipts outlive a restart of the node; Redis, which answers
a write only once it has it, is never waited for."""

import httpx
import pytest

from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.infra.rabbitmq import rabbitmq_unavailable
from chaos.landing import missed
from chaos.profile import get_profile

rabbitmq = pytest.mark.skipif(rabbitmq_unavailable() is not None, reason=f"RabbitMQ: {rabbitmq_unavailable()}")


def _submit(dep, key) -> str:
    answer = httpx.post(f"{dep.app_url}/tasks", json={"key": key, "duration_s": 0.05}, timeout=30)
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


@rabbitmq
def test_a_publish_held_on_its_way_is_answered_but_not_received_until_it_arrives(tmp_path):
    dep = Deployment(get_profile("celery-rabbitmq@durable"), get_driver("process"), tmp_path)
    with dep:
        first = _submit(dep, "before")  # also declares the queue: what follows is one publish
        seen = dep.await_received([first])
        assert seen["received"] is True and seen["missing"] == [], seen
        proxy, client = dep.toxiproxy.proxy, dep.toxiproxy.client
        client.add_toxic(proxy, "latency", {"latency": 1500}, stream="upstream", name="taskchaos-test-on-its-way")
        try:
            # Without publisher confirms the app answers once the bytes are in its socket: here they
            # spend 1.5 s in the proxy on their way to the node, which runs and answers our reads.
            on_its_way = _submit(dep, "on-its-way")
            stalled = dep.await_received([first, on_its_way], deadline_s=0.3)
            assert stalled["received"] is False and stalled["missing"] == [on_its_way] and stalled["waited_s"] > 0.3, stalled
            assert "error" not in stalled
            assert "never showed it had every acknowledged task" in missed([{"name": "restart-broker",
                                                                            "struck": {"received": stalled}}])
            arrived = dep.await_received([first, on_its_way])
        finally:
            client.remove_toxic(proxy, "taskchaos-test-on-its-way")
        assert arrived["received"] is True and arrived["waited_s"] > 0.5, arrived
        dep.broker.stop()
        dep.broker.start()
        after = _submit(dep, "after-restart")  # the receipts queue is durable: still bound
        assert dep.await_received([first, on_its_way, after])["received"] is True


def test_redis_is_never_waited_for(tmp_path):
    dep = Deployment(get_profile("celery-default@aof-everysec"), get_driver("process"), tmp_path)
    assert dep.receipts is None
    assert dep.await_received(["any"])["received"] is None
