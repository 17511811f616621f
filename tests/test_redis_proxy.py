"""Every Redis client of a deployment goes through the Toxiproxy proxy: with the proxy disabled,
Redis has no client left but our own probe, and submissions fail; healing brings both back.

The proxy is cut only once the worker is back inside its blocking pop, after the first task: a
worker whose connection drops between two tasks may quit instead of retrying (RQ 3.0 retries a
refused connection only inside ``dequeue_job_and_maintain_ttl``; the same error from
``monitor_work_horse`` or ``check_for_suspension`` ends ``Worker.work``), and then ``heal`` would
also have to start it again: the outcome would be left to timing."""

import time

import httpx
import pytest
import redis

from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.profile import get_profile


def direct_clients(dep: Deployment) -> list[dict]:
    port = int(dep.toxiproxy.describe()["upstream"].rsplit(":", 1)[1])
    with redis.Redis(port=port, socket_timeout=2) as direct:
        me = direct.client_id()
        return [c for c in direct.client_list() if int(c["id"]) != me]


def worker_waits_in_a_blocking_pop(dep: Deployment) -> bool:
    """Redis flags a client blocked in BLPOP/BRPOP with ``b``: the worker is between tasks, waiting."""
    return any("b" in c["flags"] for c in direct_clients(dep))


def wait_for(predicate, deadline_s=15.0):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("profile", ["celery-default", "rq-default"])
def test_all_redis_clients_go_through_the_proxy(tmp_path, profile):
    with Deployment(get_profile(profile), get_driver("process"), tmp_path) as dep:
        info = dep.describe()["toxiproxy"]
        assert info["flavour"] in ("embedded", "real-url", "real-binary")
        assert dep.redis_url.endswith(info["listen"].rsplit(":", 1)[1])
        app = httpx.Client(base_url=dep.app_url, timeout=10)
        before = app.post("/tasks", json={"key": "before"})
        assert before.status_code == 202
        assert direct_clients(dep), "the worker and app should hold connections"
        assert wait_for(lambda: app.get(f"/tasks/{before.json()['id']}").json()["state"] == "succeeded")
        assert wait_for(lambda: worker_waits_in_a_blocking_pop(dep)), direct_clients(dep)
        dep.toxiproxy.client.disable(dep.toxiproxy.proxy)
        assert wait_for(lambda: direct_clients(dep) == []), direct_clients(dep)
        assert app.post("/tasks", json={"key": "during"}).status_code == 503
        assert dep.heal() == [f"enabled proxy {dep.toxiproxy.proxy}"]
        assert wait_for(lambda: app.post("/tasks", json={"key": "after"}).status_code == 202)
        app.close()


def test_heal_removes_every_toxic(tmp_path):
    with Deployment(get_profile("rq-default"), get_driver("process"), tmp_path) as dep:
        client, proxy = dep.toxiproxy.client, dep.toxiproxy.proxy
        client.add_toxic(proxy, "latency", {"latency": 1000}, name="slow")
        client.add_toxic(proxy, "reset_peer", {"timeout": 0}, stream="upstream", name="rst")
        actions = dep.heal()
        assert sorted(actions) == sorted([f"removed toxic slow from {proxy}", f"removed toxic rst from {proxy}"])
        assert client.toxics(proxy) == []
