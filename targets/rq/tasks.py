"""The RQ job function (imported by the RQ worker by its dotted path)."""

from __future__ import annotations

from datetime import timezone

from rq import get_current_job

from chaos.records.taskspec import TaskSpec
from targets.body import ledger_from_env, run_body

LEDGER = ledger_from_env("rq")
TICK_DURATION_S = 0.05


def run_task(spec: dict) -> dict:
    return run_body(LEDGER, TaskSpec.model_validate(spec), get_current_job().id)


def tick() -> dict:
    """One tick of rq-scheduler's periodic job (targets/rq/periodic.py): key ``beat-0000-<sent ms>``,
    where "sent" is when rq-scheduler put the job on the queue (``enqueued_at``); rq-scheduler keeps
    no count of the ticks, hence 0000."""
    job = get_current_job()
    sent = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=timezone.utc)
    key = f"beat-0000-{round(sent.timestamp() * 1000)}"
    return run_body(LEDGER, TaskSpec(key=key, duration_s=TICK_DURATION_S), job.id)
