"""A target broken on purpose, for the quality tests (tests/test_quality.py): BackgroundTasks that
silently drops every task submitted while another accepted task has not finished yet.

The drop is silent: the submission is answered 202 with an id, like any other, and the body never
runs. The bug is simple and known, so a search that cannot find it (and shrink it to "two tasks, the
second submitted while the first runs") is what is broken. Profile: ``broken-drop`` (test only).
"""

from __future__ import annotations

import threading
import uuid

from targets.body import ledger_from_env, run_body
from targets.contract import TaskStatus, Unsupported, build_app

LEDGER = ledger_from_env("dropping")


class DroppingAdapter:
    """Invariant: ``busy`` counts accepted tasks whose body has not returned; a task submitted while
    it is above zero is acknowledged and dropped."""

    backend = "dropping"

    def __init__(self):
        self.busy = 0
        self.lock = threading.Lock()

    def submit(self, spec, schedule) -> str:
        task_id = uuid.uuid4().hex
        with self.lock:
            if self.busy:
                return task_id  # the bug: acknowledged, never scheduled
            self.busy += 1
        schedule(self._run, spec, task_id)
        return task_id

    def _run(self, spec, task_id) -> None:
        try:
            run_body(LEDGER, spec, task_id)
        finally:
            with self.lock:
                self.busy -= 1

    def status(self, task_id: str) -> TaskStatus:
        raise Unsupported("this broken target keeps no task state")

    def cancel(self, task_id: str, terminate: bool) -> bool:
        raise Unsupported("this broken target cannot cancel a task")


app = build_app(DroppingAdapter(), submit_uses_background=True)
