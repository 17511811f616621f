"""Asking until the answer comes or a deadline passes: the one loop behind every wait a fault makes
before it strikes (what the broker has written, chaos/infra/settle.py; what it has received,
chaos/infra/receipts.py; what the workers have reserved, Deployment.await_reservations).

``poll_until(ask, key, deadline_s, interval_s)`` calls ``ask()`` (a dict) until ``answer[key]`` is
not False — True: done; None: the probe cannot tell, and asking again will not change that — or
``deadline_s`` has passed, and returns the last answer with ``waited_s`` and ``polls``. A probe that
never says so is reported (``key`` False), for the cell to be inconclusive, never waited on for ever.
"""

from __future__ import annotations

import time
from typing import Callable


def poll_until(ask: Callable[[], dict], key: str, deadline_s: float, interval_s: float) -> dict:
    start, polls = time.monotonic(), 0
    while True:
        polls += 1
        answer = ask()
        waited = round(time.monotonic() - start, 3)
        if answer[key] is not False or waited > deadline_s:
            return {**answer, "waited_s": waited, "polls": polls}
        time.sleep(interval_s)


__all__ = ["poll_until"]
