"""RQ Dashboard, RQ's monitor: ``python -m rq_dashboard`` (a Flask server reading Redis).

It keeps no state of its own: every page reads RQ's keys in Redis. Run with ``--disable-delete``.

Reading, with GETs only (rq-dashboard 0.9.0, rq_dashboard/web.py):

- ``/0/data/queues.json``: per queue the length and each registry's count, via
  ``get_job_count(cleanup=False)`` — RQ's ``registry.count`` would run ``cleanup()``, which moves
  abandoned jobs to the failed registry or retries them (rq/registry.py); the dashboard opts out;
- ``/0/data/jobs/<queue>/<registry>/<per_page>/asc/<page>.json`` for every registry: the job ids,
  via ``get_job_ids(..., cleanup=False)``. One write remains: ``Queue.fetch_job`` LREMs an id whose
  job hash no longer exists from the queue list (rq/queue.py) — a dangling id no worker could run;
  none occurs within a run (results live 500 s);
- ``/0/data/workers.json``: the registered workers (SMEMBERS + HGETALL).

A task's state is the registry that lists it (what a person sees in the dashboard); the totals are
the registry counts of queues.json — two different reads of Redis.
"""

from __future__ import annotations

from pathlib import Path

from chaos.monitor.base import Launch, Monitor, MonitorError, Reading

# registry name in the dashboard's URLs -> (queues.json count field, the contract's state)
REGISTRIES = {
    "queued": ("count", "pending"),
    "deferred": ("deferred_job_registry_count", "pending"),
    "scheduled": ("scheduled_job_registry_count", "pending"),
    "started": ("started_job_registry_count", "running"),
    "finished": ("finished_job_registry_count", "succeeded"),
    "failed": ("failed_job_registry_count", "failed"),
    "canceled": ("canceled_job_registry_count", "cancelled"),
}
PER_PAGE = 100
MAX_PAGES = 50


class RQDashboard(Monitor):
    name = "rq-dashboard"
    backend = "rq"
    settings: dict = {}

    def launch(self, *, python, port, broker_url, redis_url, workdir: Path, user, password) -> Launch:
        argv = [python, "-m", "rq_dashboard", "--bind", "127.0.0.1", "--port", str(port), "--redis-url",
                f"{redis_url}/0", "--disable-delete"]
        return Launch(argv=argv, env={"RQ_DASHBOARD_USERNAME": user, "RQ_DASHBOARD_PASSWORD": password},
                      health_path="/0/data/queues.json")

    def _job_ids(self, http, queue: str, registry: str, endpoints) -> list[str]:
        ids: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            data = self.get_json(http, f"/0/data/jobs/{queue}/{registry}/{PER_PAGE}/asc/{page}.json", endpoints)
            ids += [job["id"] for job in data["jobs"]]
            if page >= data["pagination"].get("num_pages", 1):
                return ids
        raise MonitorError(f"queue {queue!r} registry {registry!r} has more than {MAX_PAGES} pages of jobs")

    def read(self, http) -> Reading:
        endpoints: dict[str, int] = {}
        queues = self.get_json(http, "/0/data/queues.json", endpoints)["queues"]
        tasks: dict[str, dict] = {}
        counts: dict[str, int] = {}
        for queue in queues:
            for registry, (count_field, state) in REGISTRIES.items():
                counts[state] = counts.get(state, 0) + int(queue[count_field])
                for job_id in self._job_ids(http, queue["name"], registry, endpoints):
                    if job_id in tasks:  # listed twice: keep both, the claim sees the disagreement
                        tasks[job_id]["raw_state"] += f"+{registry}"
                        tasks[job_id]["state"] = "unknown"
                    else:
                        tasks[job_id] = {"state": state, "raw_state": registry}
        workers = self.get_json(http, "/0/data/workers.json", endpoints)["workers"]
        return Reading(tasks, counts, endpoints,
                       {"queues": [q["name"] for q in queues],
                        "workers": [{"name": w["name"], "state": w["state"]} for w in workers]})
