"""The RQ job function (imported by the RQ worker by its dotted path)."""

from __future__ import annotations

from rq import get_current_job

from chaos.records.taskspec import TaskSpec
from targets.body import ledger_from_env, run_body

LEDGER = ledger_from_env("rq")


def run_task(spec: dict) -> dict:
    return run_body(LEDGER, TaskSpec.model_validate(spec), get_current_job().id)
