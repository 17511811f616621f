"""The runner: plays one scenario against one deployment.

Phases (as in Jepsen): submit the workload, strike each fault when its trigger appears in the ledger
and heal it, quiesce (heal all, release holds, drain with a deadline), take the final status
readings. Everything observed goes to the history and the ledger; judging is the checker's job.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from chaos.client import TargetClient
from chaos.infra.deployment import Deployment
from chaos.nemesis import FAULTS
from chaos.quiesce import QuiesceReport, quiesce
from chaos.records.history import History
from chaos.records.ledger import LedgerRecord, read_ledger
from chaos.scenario.model import Scenario

TRIGGER_DEADLINE_S = 30.0
POLL_S = 0.02


class RunError(RuntimeError):
    """The run could not do what its scenario says (e.g. a fault's trigger never came): no verdict."""


@dataclass
class RunRecord:
    scenario: Scenario
    deployment: dict
    history: History
    quiesce: QuiesceReport
    directory: Path

    def save(self) -> None:
        self.scenario.save(self.directory / "scenario.json")
        (self.directory / "run.json").write_text(json.dumps(
            {"deployment": self.deployment, "quiesce": self.quiesce.to_json()}, indent=2, default=str))


def wait_for_event(ledger_dir: Path, key: str, event: str, deadline_s: float) -> LedgerRecord | None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for record in read_ledger(ledger_dir).records:
            if record.key == key and record.event == event:
                return record
        time.sleep(POLL_S)
    return None


def _inject(deployment: Deployment, history: History, fault_event) -> float:
    fault = FAULTS.get(fault_event.fault)
    if fault is None:
        raise RunError(f"unknown fault {fault_event.fault!r}; known: {', '.join(FAULTS)}")
    reason = fault.not_applicable(deployment)
    if reason:
        raise RunError(f"fault {fault.name} does not apply to {deployment.profile.id}: {reason}")
    trigger = wait_for_event(deployment.ledger_dir, fault_event.at_key, fault_event.at_event, TRIGGER_DEADLINE_S)
    if trigger is None:
        raise RunError(f"fault {fault.name}: task {fault_event.at_key} never reached {fault_event.at_event!r} within "
                       f"{TRIGGER_DEADLINE_S:.0f} s, so the fault was not injected; see the logs in {deployment.logs_dir}")
    fault_id = uuid.uuid4().hex[:8]
    history.add("fault", "start", fault_event.at_key, id=fault_id, name=fault.name, role=fault.role,
                trigger={"key": trigger.key, "event": trigger.event, "attempt": trigger.attempt, "pid": trigger.pid})
    evidence = fault.strike(deployment, trigger)
    history.add("fault", "note", fault_event.at_key, id=fault_id, name=fault.name, struck=evidence)
    healed = fault.heal(deployment)
    end = history.add("fault", "end", fault_event.at_key, id=fault_id, name=fault.name, healed=healed)
    return end.mono


def run_scenario(deployment: Deployment, scenario: Scenario, directory: Path) -> RunRecord:
    directory.mkdir(parents=True, exist_ok=True)
    history = History(directory / "history.jsonl")
    client = TargetClient(deployment.app_url, history)
    try:
        history.add("phase", "start", name="workload", scenario=scenario.name, profile=deployment.profile.id)
        for spec in scenario.tasks:
            client.submit(spec)
        last_fault_end = None
        for fault_event in scenario.faults:
            last_fault_end = _inject(deployment, history, fault_event)
        report = quiesce(deployment, client, history, scenario, last_fault_end)
        record = RunRecord(scenario, deployment.describe(), history, report, directory)
        record.save()
        return record
    finally:
        client.close()
        history.close()
