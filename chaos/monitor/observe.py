"""Reading the monitor after quiescence, into the history (op kind ``monitor``).

Monitors are eventually consistent (Flower learns from events that trail the ledger by
milliseconds), so the reading is repeated until the monitor shows every acknowledged task in a
terminal state, or ``SETTLE_DEADLINE_S`` has passed — a bounded wait on the monitor's own view, never
on what the claim expects. Every reading is recorded; the last one has ``final=True`` and is what
the monitoring claim judges. How long the monitor took to settle is recorded (``elapsed_s``).

A deployment whose backend has no monitor records one ``monitor``/``fail`` op with
``supported=False`` and the reason; a monitor that does not answer records ``info`` with the error.
"""

from __future__ import annotations

import time

import httpx

from chaos.monitor.base import TERMINAL, MonitorError
from chaos.records.history import History

SETTLE_DEADLINE_S = 3.0
POLL_S = 0.25
HTTP_TIMEOUT_S = 5.0


def _settled(reading, ids: list[str]) -> bool:
    return all(reading.tasks.get(i, {}).get("state") in TERMINAL for i in ids)


def observe(deployment, ids: dict[str, str], history: History) -> None:
    """``ids``: key -> backend id of every acknowledged submission."""
    monitor = deployment.monitor
    if monitor is None:
        history.add("monitor", "fail", supported=False, final=True, backend=deployment.profile.backend,
                    reason=deployment.monitor_absent_reason)
        return
    wanted = sorted(set(ids.values()))
    start = time.monotonic()
    with httpx.Client(base_url=deployment.monitor_url, auth=deployment.monitor_auth, timeout=HTTP_TIMEOUT_S) as http:
        while True:
            elapsed = time.monotonic() - start
            try:
                reading = monitor.read(http)
            except (httpx.HTTPError, MonitorError, KeyError, ValueError) as exc:
                final = elapsed > SETTLE_DEADLINE_S
                history.add("monitor", "info", supported=True, final=final, monitor=monitor.name,
                            url=deployment.monitor_url, elapsed_s=round(elapsed, 3),
                            error=f"{type(exc).__name__}: {exc}")
            else:
                settled = _settled(reading, wanted)
                final = settled or elapsed > SETTLE_DEADLINE_S
                history.add("monitor", "ok", supported=True, final=final, monitor=monitor.name,
                            url=deployment.monitor_url, elapsed_s=round(elapsed, 3), settled=settled,
                            ids=ids, **reading.to_json())
            if final:
                return
            time.sleep(POLL_S)
