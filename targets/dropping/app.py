"""A target broken on purpose, for the quality tests (tests/test_quality.py): BackgroundTasks that
silently drops every task submitted while another accepted task has not finished yet, or finished
less than ``LINGER_S`` ago. The linger makes the drop a matter of the scenario, not of the machine:
without it, a first task of 0.2 s could end before the next submission's request reached the app on
a loaded machine, and the same scenario then dropped nothing (the CI-equivalent of 1bb7c50 shrank to
more than two tasks). Scenarios pause at most 0.3 s between submissions (chaos/scenario/variations.py).

The drop is silent: the submission is answered 202 with an id, like any other, and the body never
runs. The bug is simple and known, so a search that cannot find it (and shrink it to "two tasks, the
second submitted while the first runs") is what is broken. Profile: ``broken-drop`` (test only).
"""

from __future__ import annotations

import threading
import time
import uuid

from targets.body import ledger_from_env, run_body
from targets.contract import TaskStatus, Unsupported, build_app

LEDGER = ledger_from_env("dropping")
LINGER_S = 3.0  # far above a submission's latency, far below the drain (which waits for nothing here)


class DroppingAdapter:
    """Invariant: ``busy`` counts accepted tasks whose body has not returned, ``quiet_from`` is when
    the last of them returned plus ``LINGER_S``; a task submitted while ``busy`` is above zero or
    before ``quiet_from`` is acknowledged and dropped."""

    backend = "dropping"

    def __init__(self):
        self.busy = 0
        self.quiet_from = 0.0
        self.lock = threading.Lock()

    def submit(self, spec, schedule) -> str:
        task_id = uuid.uuid4().hex
        with self.lock:
            if self.busy or time.monotonic() < self.quiet_from:
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
                self.quiet_from = time.monotonic() + LINGER_S

    def status(self, task_id: str) -> TaskStatus:
        raise Unsupported("this broken target keeps no task state")

    def cancel(self, task_id: str, terminate: bool) -> bool:
        raise Unsupported("this broken target cannot cancel a task")


app = build_app(DroppingAdapter(), submit_uses_background=True)
