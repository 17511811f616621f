"""Flower, Celery's monitor: ``celery -A targets.celery.app:celery_app flower``.

Flower knows tasks only from Celery's **events**, kept in its memory: the worker must send task
events (``worker_send_task_events``) and the app the ``task-sent`` event (``task_send_sent_event``),
which ``settings`` turns on through the profile (``task_events``). Flower is run with
``--enable_events=False``: otherwise it broadcasts ``enable_events`` to every worker every 5 s
(flower/events.py), i.e. the observer would reconfigure the observed. ``--persistent=False`` is
Flower's default, spelled out: its state does not survive a restart.

Readiness: HTTP ``/healthcheck`` *and* a subscriber on the events channel. The HTTP server answers
~0.2 s before the event receiver has subscribed (seen: PUBSUB NUMPAT moves after /healthcheck is
200), and events published before that are lost to Flower.

Reading: ``GET /api/tasks`` (the event state, every task) and ``GET /api/workers?status=1`` (worker
liveness from the event state). Both only read Flower's memory; ``/api/workers`` without
``status`` or with ``refresh=1`` would broadcast ``inspect`` commands to the worker, so it is not used.
"""

from __future__ import annotations

from pathlib import Path

from chaos.monitor.base import Launch, Monitor, Reading

# celery.states -> the contract's states (targets/contract.py)
STATES = {"PENDING": "pending", "RECEIVED": "pending", "STARTED": "running", "RETRY": "retrying",
          "SUCCESS": "succeeded", "FAILURE": "failed", "REVOKED": "cancelled"}
# kombu's Redis transport publishes events on "/<db>.celeryev/<routing key>" (fanout_patterns);
# the broker is db 0 (targets/celery/app.py).
EVENTS_CHANNEL = "/0.celeryev/taskchaos.readiness-probe"


class Flower(Monitor):
    name = "flower"
    backend = "celery"
    settings = {"task_events": True}

    def launch(self, *, python, port, redis_url, workdir: Path, user, password) -> Launch:
        argv = [python, "-m", "celery", "-A", "targets.celery.app:celery_app", "flower", "--address=127.0.0.1",
                f"--port={port}", "--enable_events=False", "--persistent=False", f"--db={workdir / 'flower.db'}"]
        return Launch(argv=argv, env={"FLOWER_BASIC_AUTH": f"{user}:{password}"}, health_path="/healthcheck",
                      listens_on=EVENTS_CHANNEL)

    def read(self, http) -> Reading:
        endpoints: dict[str, int] = {}
        raw = self.get_json(http, "/api/tasks", endpoints)
        workers = self.get_json(http, "/api/workers?status=1", endpoints)
        tasks = {tid: {"state": STATES.get(t.get("state"), "unknown"), "raw_state": t.get("state")}
                 for tid, t in raw.items()}
        counts: dict[str, int] = {}
        for t in tasks.values():
            counts[t["state"]] = counts.get(t["state"], 0) + 1
        return Reading(tasks, counts, endpoints, {"workers_alive": workers})
