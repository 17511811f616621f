"""BackgroundTasks target: ``bg.add_task`` as in the seed; the body runs in this process after the
response has been sent. There is no status or cancel API: those routes answer 501."""

from __future__ import annotations

import uuid

from targets.body import ledger_from_env, run_body
from targets.contract import TaskStatus, Unsupported, build_app

LEDGER = ledger_from_env("bgtasks")


class BackgroundTasksAdapter:
    backend = "bgtasks"
    features: frozenset[str] = frozenset()

    def submit(self, spec, schedule) -> str:
        task_id = uuid.uuid4().hex
        schedule(run_body, LEDGER, spec, task_id)
        return task_id

    def status(self, task_id: str) -> TaskStatus:
        raise Unsupported("BackgroundTasks keeps no task state: there is nothing to query")

    def cancel(self, task_id: str, terminate: bool) -> bool:
        raise Unsupported("BackgroundTasks cannot cancel a task")


app = build_app(BackgroundTasksAdapter(), submit_uses_background=True)
