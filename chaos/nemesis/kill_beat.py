"""kill -9 of the periodic scheduler (the deployment's ``beat`` server: Celery Beat, or rq-scheduler
for RQ), struck once the ledger shows that its periodic entry has already run ``TICKS_BEFORE``
times (so it has state to lose); it stays down for ``DOWN_S`` from the kill — longer than two
periods of the scheduled claim's entry (2 s), so that ticks fall due while it is down whatever the
machine's speed — and is then started again. (The downtime is counted inside ``strike``, from the
kill, not as the runner's ``window_s``, which would start before the wait for the ticks.)

Celery Beat persists its schedule (each entry's last run and run count) in its schedule file, but
syncs it only now and then (``beat_sync_every`` sends, or 180 s); rq-scheduler keeps its schedule
in Redis. What a kill -9 loses shows in the ticks that follow the restart."""

from __future__ import annotations

import time

from chaos.backends import get_backend
from chaos.infra.base import InfraError
from chaos.nemesis.base import Fault, kill_server, start_server
from chaos.records.ledger import read_ledger

TICKS_BEFORE = 2
DOWN_S = 4.0
TICK_DEADLINE_S = 30.0
POLL_S = 0.05
TICK_PREFIX = "beat-"  # the key prefix of Beat's ticks (targets/celery/app.py, ``tick``)


def ticks_started(ledger_dir) -> set[str]:
    return {r.key for r in read_ledger(ledger_dir).records if r.key.startswith(TICK_PREFIX) and r.event == "started"}


class KillBeat(Fault):
    name = "kill-beat"
    description = f"SIGKILL the backend's periodic scheduler once {TICKS_BEFORE} of its periodic ticks have run; start it {DOWN_S:g} s later"
    role = "beat"

    def not_applicable(self, profile):
        if not get_backend(profile.backend).has_periodic_scheduler:
            return f"{profile.name} has no periodic scheduler to kill"
        return None

    def strike(self, deployment, trigger) -> dict:
        server = deployment.server("beat")
        deadline = time.monotonic() + TICK_DEADLINE_S
        while len(ticks := ticks_started(deployment.ledger_dir)) < TICKS_BEFORE:
            if time.monotonic() > deadline:
                raise InfraError(f"kill-beat: only {len(ticks)} of Beat's ticks ran within {TICK_DEADLINE_S:.0f} s "
                                 f"(waiting for {TICKS_BEFORE}); see {server.log_path} and the worker's log")
            time.sleep(POLL_S)
        killed = kill_server(server)
        time.sleep(DOWN_S)  # this wait *is* the fault: Beat stays dead this long
        return {**killed, "ticks_before": sorted(ticks), "down_s": DOWN_S}

    def heal(self, deployment) -> dict:
        return start_server(deployment.server("beat"))
