"""Celery Beat for the ``scheduled`` claim: the stock ``PersistentScheduler`` (schedule file in the run
directory, ``celery beat -S targets.celery.beat:TickScheduler -s <file>``) with one change — each
send of the periodic entry ``taskchaos-tick`` carries Beat's own count of the tick
(``total_run_count + 1``, the number Beat persists in its schedule file) and the wall time of the
send, so the ledger shows which tick ran, how often, and how late.

The entry itself is defined from the environment in targets/celery/app.py
(``TASKCHAOS_BEAT_PERIOD_S``): a plain interval schedule, as an application would write it.
"""

from __future__ import annotations

import copy
import time

from celery.beat import PersistentScheduler

TICK_ENTRY = "taskchaos-tick"


class TickScheduler(PersistentScheduler):
    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if entry.name == TICK_ENTRY:
            # Beat's tick() reserves the next entry, then sends the *old* one (advance=False): its
            # count is the number of ticks sent before this one.
            number = entry.total_run_count + (0 if advance else 1)
            entry = copy.copy(entry)
            entry.args = (number, time.time())
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
