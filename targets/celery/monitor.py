"""Flower, Celery's monitor: ``celery -A targets.celery.tasks:celery_app flower``.

Flower knows tasks only from Celery's **events**, kept in its memory: the worker must send task
events (``worker_send_task_events``) and the app the ``task-sent`` event (``task_send_sent_event``),
which ``settings`` turns on through the profile (``task_events``). Flower is run with
``--enable_events=False``: otherwise it broadcasts ``enable_events`` to every worker every 5 s
(flower/events.py), i.e. the observer would reconfigure the observed. ``--persistent=False`` is
Flower's default, spelled out: its state does not survive a restart.

Readiness: HTTP ``/healthcheck`` *and* Flower has seen an event of ours. The HTTP server answers
~0.2 s before the event receiver listens (seen on Redis: PUBSUB NUMPAT moves after /healthcheck is
200), and events published before that are lost to Flower. So the probe publishes a ``task-sent``
event for a task id of its own (:data:`PROBE_ID`) through the broker, as a client of the app would,
until ``/api/task/info/<PROBE_ID>`` finds it: true on every broker kind (Redis pub/sub, RabbitMQ's
``celeryev`` exchange), since it is Flower's own receiver that must have taken it. A task-sent event
creates a task in Flower's state but no worker (celery/events/state.py: client events); readings
leave the probe's task out.

Reading: ``GET /api/tasks`` (the event state, every task) and ``GET /api/workers?status=1`` (worker
liveness from the event state). Both only read Flower's memory; ``/api/workers`` without
``status`` or with ``refresh=1`` would broadcast ``inspect`` commands to the worker, so it is not used.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from chaos.monitor.base import Launch, Monitor, Reading

# celery.states -> the contract's states (targets/contract.py)
STATES = {"PENDING": "pending", "RECEIVED": "pending", "STARTED": "running", "RETRY": "retrying",
          "SUCCESS": "succeeded", "FAILURE": "failed", "REVOKED": "cancelled"}
PROBE_ID = "taskchaos-monitor-readiness-probe"  # the task id of the probe's event; never a real task's


class FlowerSawAnEvent:
    """Flower's event receiver has taken a ``task-sent`` event we published for :data:`PROBE_ID`."""

    def __init__(self, broker_url: str, base_url: str, auth: tuple[str, str]):
        self.broker_url = broker_url
        self.url = f"{base_url}/api/task/info/{PROBE_ID}"
        self.auth = auth

    def __call__(self) -> bool:
        try:
            if httpx.get(self.url, auth=self.auth, timeout=0.5).status_code == 200:
                return True
        except httpx.HTTPError:
            return False  # not serving yet: nothing to publish to
        self._publish()
        return False

    def _publish(self) -> None:
        from celery import Celery  # the harness imports Celery only for this probe

        app = Celery("taskchaos-probe", broker=self.broker_url, set_as_current=False)
        try:
            with app.connection_for_write() as connection:
                app.events.Dispatcher(connection, hostname="taskchaos-probe").send(
                    "task-sent", uuid=PROBE_ID, name="taskchaos.readiness_probe")
        except OSError:
            pass  # the broker is not reachable yet: the next poll tries again
        finally:
            app.close()

    def __str__(self) -> str:
        return f"Flower to have seen a task-sent event published to {self.broker_url} ({self.url})"


class Flower(Monitor):
    name = "flower"
    backend = "celery"
    settings = {"task_events": True}

    def launch(self, *, python, port, broker_url, redis_url, workdir: Path, user, password) -> Launch:
        argv = [python, "-m", "celery", "-A", "targets.celery.tasks:celery_app", "flower", "--address=127.0.0.1",
                f"--port={port}", "--enable_events=False", "--persistent=False", f"--db={workdir / 'flower.db'}"]
        return Launch(argv=argv, env={"FLOWER_BASIC_AUTH": f"{user}:{password}"}, health_path="/healthcheck",
                      ready=FlowerSawAnEvent(broker_url, f"http://127.0.0.1:{port}", (user, password)))

    def read(self, http) -> Reading:
        endpoints: dict[str, int] = {}
        raw = self.get_json(http, "/api/tasks", endpoints)
        workers = self.get_json(http, "/api/workers?status=1", endpoints)
        tasks = {tid: {"state": STATES.get(t.get("state"), "unknown"), "raw_state": t.get("state")}
                 for tid, t in raw.items() if tid != PROBE_ID}
        counts: dict[str, int] = {}
        for t in tasks.values():
            counts[t["state"]] = counts.get(t["state"], 0) + 1
        return Reading(tasks, counts, endpoints, {"workers_alive": workers})
