"""Every Redis client of a deployment goes through the Toxiproxy proxy: with the proxy disabled,
Redis has no client left but our own probe, and submissions fail; healing brings both back.

The proxy is cut only once the worker is back inside its blocking pop after the first task
(``a_worker_waits_in_a_blocking_pop``): otherwise ``heal`` might also have to start a worker that
quit, left to timing."""

import time

import httpx
import pytest

from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.profile import get_profile
from tests.helpers import a_worker_waits_in_a_blocking_pop, redis_clients


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
        assert redis_clients(dep), "the worker and app should hold connections"
        assert wait_for(lambda: app.get(f"/tasks/{before.json()['id']}").json()["state"] == "succeeded")
        assert wait_for(lambda: a_worker_waits_in_a_blocking_pop(dep)), redis_clients(dep)
        dep.toxiproxy.client.disable(dep.toxiproxy.proxy)
        assert wait_for(lambda: redis_clients(dep) == []), redis_clients(dep)
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
