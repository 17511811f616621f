"""The instrumented task body shared by every target.

Each attempt writes what really happened to the ledger (``chaos.records.ledger``), outside the
system under test: ``started``, then maybe ``held``/``released`` at a hold point, ``failed`` for a
requested transient failure, ``crashing`` just before the process exits abruptly, ``succeeded`` when
the work is done, and ``returned`` when control goes back to the backend (which then acknowledges).
"""

from __future__ import annotations

import json
import os
import time

from chaos.records.ledger import LedgerWriter
from chaos.records.taskspec import TaskSpec

CRASH_EXIT_CODE = 70


class TransientFailure(Exception):
    """Raised by an attempt that the spec asked to fail (``fail_times``); the backend may retry it."""


def settings_from_env() -> dict:
    """The profile the harness started this process with (``TASKCHAOS_PROFILE``, JSON)."""
    raw = os.environ.get("TASKCHAOS_PROFILE")
    if not raw:
        raise RuntimeError("TASKCHAOS_PROFILE is not set: targets are started by the taskchaos harness, "
                           "which passes the profile as JSON (see targets/README.md)")
    return json.loads(raw)


def redis_url_from_env() -> str:
    url = os.environ.get("TASKCHAOS_REDIS_URL")
    if not url:
        raise RuntimeError("TASKCHAOS_REDIS_URL is not set: the harness passes the Redis (or proxy) address")
    return url


def broker_url_from_env() -> str:
    url = os.environ.get("TASKCHAOS_BROKER_URL")
    if not url:
        raise RuntimeError("TASKCHAOS_BROKER_URL is not set: the harness passes the broker's (proxy) address "
                           "for brokers other than Redis")
    return url


def ledger_from_env(backend: str) -> LedgerWriter:
    directory = os.environ.get("TASKCHAOS_LEDGER_DIR")
    if not directory:
        raise RuntimeError("TASKCHAOS_LEDGER_DIR is not set: the harness passes the run's ledger directory")
    return LedgerWriter(directory, backend)


def _hold(ledger: LedgerWriter, spec: TaskSpec, task_id: str, attempt: int, point: str) -> None:
    """Block the *first* attempt at ``point`` until the harness releases the key. A later attempt (a
    retry, or a redelivery after a fault) passes: the hold is the window a fault aims at, and holding
    a redelivered copy too would be the suite's doing, not the backend's. (Seen: a worker killed at
    t0's hold; t0 redelivered to the other worker while the killed one restarted held there too, and
    the messages that worker had prefetched behind it outlived Celery's visibility_timeout and ran
    twice — on a loaded machine only, so the verdict flipped from run to run.)"""
    if attempt > 1 or ledger.is_released(spec.key):
        return
    ledger.append(spec.key, task_id, attempt, "held", point=point)
    released = ledger.wait_released(spec.key, spec.hold_timeout_s)
    ledger.append(spec.key, task_id, attempt, "released", point=point, timed_out=not released)


def run_body(ledger: LedgerWriter, spec: TaskSpec, task_id: str) -> dict:
    """Run one attempt of ``spec``. Raises :class:`TransientFailure` for requested failures; exits
    the process for requested crashes; returns a small result dict on success."""
    attempt = ledger.next_attempt(spec.key)
    # Which server runs this attempt ("worker", "worker-2", ... or "app"): the harness names each
    # executor in its environment, so the ledger shows how work spread over several workers.
    ledger.append(spec.key, task_id, attempt, "started", executor=os.environ.get("TASKCHAOS_EXECUTOR"))
    if spec.hold_at == "start":
        _hold(ledger, spec, task_id, attempt, "start")
    if attempt <= spec.crash_times:
        time.sleep(spec.duration_s / 2)
        ledger.append(spec.key, task_id, attempt, "crashing")
        os._exit(CRASH_EXIT_CODE)
    time.sleep(spec.duration_s)
    if attempt <= spec.crash_times + spec.fail_times:
        ledger.append(spec.key, task_id, attempt, "failed")
        raise TransientFailure(f"{spec.key}: requested failure on attempt {attempt}")
    ledger.append(spec.key, task_id, attempt, "succeeded")
    if spec.hold_at == "finish":
        _hold(ledger, spec, task_id, attempt, "finish")
    if spec.hold_after_finish_s:
        time.sleep(spec.hold_after_finish_s)
    ledger.append(spec.key, task_id, attempt, "returned")
    return {"key": spec.key, "attempt": attempt, "pid": os.getpid()}
