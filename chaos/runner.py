"""The runner: plays one scenario against one deployment.

Phases (as in Jepsen): submit the workload (pausing before each submission as the scenario's pacing
says), play the client actions (cancel, status probes) when their triggers appear in the ledger,
strike each fault when its trigger appears in the ledger and heal it, quiesce (heal all, release
holds, drain with a deadline), take the final status readings, ask the app which submissions are still
inside their hand-over to the backend (a call that hangs), then read the monitor when the
deployment runs one (chaos/monitor/observe.py). Everything observed goes to the history and the
ledger; judging is the checker's job.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from chaos.client import SUBMIT_TIMEOUT_S, TargetClient
from chaos.infra.deployment import Deployment
from chaos.landing import at_strike, running
from chaos.monitor.observe import observe
from chaos.nemesis import FAULTS
from chaos.quiesce import QuiesceReport, quiesce
from chaos.records.history import BROKER_ROLES, History
from chaos.records.ledger import LedgerRecord, read_ledger, release
from chaos.scenario.model import Scenario

TRIGGER_DEADLINE_S = 30.0
POLL_S = 0.02
# After an acknowledged cancel, the runner waits (this long at most) until the status API shows the task
# cancelled or failed before it goes on, so that whatever comes next (a fault, the release of a held
# task) lands after the backend has acted on the cancel, by construction. Not seeing it in time is
# recorded, and the run goes on: the claim then judges what really happened.
CANCEL_SETTLE_S = 10.0
NEVER_SUBMITTED = "never-submitted"  # the history label of the status read of an id that was never submitted


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


def _fault(deployment: Deployment, fault_event):
    fault = FAULTS.get(fault_event.fault)
    if fault is None:
        raise RunError(f"unknown fault {fault_event.fault!r}; known: {', '.join(FAULTS)}")
    reason = fault.not_applicable(deployment.profile)
    if reason:
        raise RunError(f"fault {fault.name} does not apply to {deployment.profile.id}: {reason}")
    return fault


def _strike(deployment: Deployment, history: History, fault_event, trigger: LedgerRecord | None):
    fault = _fault(deployment, fault_event)
    fault_id = uuid.uuid4().hex[:8]
    trig = {"key": trigger.key, "event": trigger.event, "attempt": trigger.attempt, "pid": trigger.pid} if trigger \
        else {"event": fault_event.at_event}
    received = reservations = None
    if fault.role in BROKER_ROLES:
        accepted = [op.data["id"] for op in history.submissions().values() if op.type == "ok"]
        received = _await_received(deployment, accepted)
        reservations = _await_reservations(deployment, accepted)
    hit = at_strike(read_ledger(deployment.ledger_dir).records, history, trigger, fault_event.at_event)
    history.add("fault", "start", fault_event.at_key, id=fault_id, name=fault.name, role=fault.role, trigger=trig,
                window_s=fault.window_s, hit=hit)
    start = time.monotonic()
    evidence = fault.strike(deployment, trigger)
    if received is not None:
        evidence = {**evidence, "received": received}
    if reservations is not None:
        evidence = {**evidence, "reservations": reservations}
    history.add("fault", "note", fault_event.at_key, id=fault_id, name=fault.name, struck=evidence)
    return fault, fault_id, start


def _await_received(deployment: Deployment, accepted: list[str]) -> dict:
    """A broker fault strikes once the broker has every submission acknowledged so far (``accepted``,
    backend ids; a publish without confirms is acknowledged before it arrives; chaos/infra/receipts.py):
    what it destroys is then the broker's doing, never a message still on its way."""
    return deployment.await_received(accepted)


def _await_reservations(deployment: Deployment, accepted: list[str]) -> dict:
    """A broker fault strikes once the workers have taken from the broker all they will before a running
    task ends, and every acknowledged task that has not started rests in the broker (the backend's
    ``reservations_full``; Deployment.await_reservations). Which of a worker's connections a network
    fault meets first decides its outcome, and a task a worker has popped but not yet recorded (kombu's
    BRPOP, then its write to ``unacked``) is lost by a broker kill in that instant whatever the
    durability: struck a few milliseconds apart, the same cell gave either (expectations.toml:
    persistence/limit-data-run, persistence/kill-broker). Waiting makes the quiet state the cell's,
    every time; a backend that reserves nothing is not waited for."""
    records = read_ledger(deployment.ledger_dir).records
    now, _, _ = running(records)
    started = {r.task_id for r in records}
    return deployment.await_reservations([r.task_id for r in now], [i for i in accepted if i not in started])


def _heal(deployment: Deployment, history: History, fault, fault_id: str, fault_event) -> float:
    healed = fault.heal(deployment)
    return history.add("fault", "end", fault_event.at_key, id=fault_id, name=fault.name, healed=healed).mono


def _wait_window(fault, start: float) -> None:
    """A fault with a window lasts that long: this wait *is* the fault's duration, not a readiness guess."""
    remaining = start + fault.window_s - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _trigger(deployment: Deployment, fault_event) -> LedgerRecord:
    trigger = wait_for_event(deployment.ledger_dir, fault_event.at_key, fault_event.at_event, TRIGGER_DEADLINE_S)
    if trigger is None:
        raise RunError(f"fault {fault_event.fault}: task {fault_event.at_key} never reached {fault_event.at_event!r} "
                       f"within {TRIGGER_DEADLINE_S:.0f} s, so the fault was not injected; see the logs in "
                       f"{deployment.logs_dir}")
    return trigger


def _gate(deployment: Deployment, history: History, gate) -> None:
    record = wait_for_event(deployment.ledger_dir, gate.after_key, gate.event, TRIGGER_DEADLINE_S)
    if record is None:
        raise RunError(f"gate: task {gate.after_key} never reached {gate.event!r} within {TRIGGER_DEADLINE_S:.0f} s, "
                       f"so the tasks after it were not submitted; see the logs in {deployment.logs_dir}")
    history.add("phase", "note", gate.after_key, name="gate", event=gate.event, pid=record.pid)


def _during_run(deployment: Deployment, history: History, fault_event) -> float:
    """Strike when the task reaches its lifecycle point. A fault with a window then lets the held task
    go on and keeps hurting until it has returned (so its acknowledgement and result cross the fault)
    and the window has passed; an instantaneous fault heals at once and the task stays held."""
    fault, fault_id, start = _strike(deployment, history, fault_event, _trigger(deployment, fault_event))
    if fault.window_s:
        release(deployment.ledger_dir, fault_event.at_key)
        wait_for_event(deployment.ledger_dir, fault_event.at_key, "returned", fault.window_s)
        _wait_window(fault, start)
    return _heal(deployment, history, fault, fault_id, fault_event)


def _at_answer(deployment: Deployment, client: TargetClient, history: History, spec, fault_event) -> float:
    """Phase ``answer``: submit ``spec`` (held by the app after the hand-over) from a thread, strike when
    the ledger shows the hand-over, heal, then submit the same task again: a client without an answer
    retries. The held submission's own record is whatever the client saw (a cut connection: ``info``)."""
    held = threading.Thread(target=client.submit, args=(spec.model_copy(update={"hold_answer": True}),),
                            name=f"taskchaos-submit-{spec.key}", daemon=True)
    held.start()
    fault, fault_id, start = _strike(deployment, history, fault_event, _trigger(deployment, fault_event))
    held.join(SUBMIT_TIMEOUT_S + 1)
    if held.is_alive():
        raise RunError(f"fault {fault.name}: the held submission of {spec.key} was still waiting "
                       f"{SUBMIT_TIMEOUT_S + 1:.0f} s after the strike, past the client's timeout; see {deployment.logs_dir}")
    _wait_window(fault, start)
    end = _heal(deployment, history, fault, fault_id, fault_event)
    history.add("phase", "note", spec.key, name="resubmit", why="the first submission got no answer")
    client.submit(spec)
    return end


def _settle_cancel(client: TargetClient, history: History, key: str) -> None:
    start = time.monotonic()
    while True:
        state = client.status(key, settle=True).get("state")
        if state in ("cancelled", "failed"):
            history.add("cancel", "note", key, settled=True, state=state, after_s=round(time.monotonic() - start, 3))
            return
        if time.monotonic() - start > CANCEL_SETTLE_S:
            history.add("cancel", "note", key, settled=False, state=state,
                        detail=f"the status API did not show the cancel within {CANCEL_SETTLE_S:.0f} s")
            return
        time.sleep(POLL_S * 5)


def _act(deployment: Deployment, client: TargetClient, history: History, action) -> None:
    """Play one client action once its trigger is in the ledger. A task whose submission was not
    acknowledged has no id to act on: that is recorded, not an error."""
    trigger = wait_for_event(deployment.ledger_dir, action.at_key, action.at_event, TRIGGER_DEADLINE_S)
    if trigger is None:
        raise RunError(f"action {action.action} {action.key or ''}: task {action.at_key} never reached "
                       f"{action.at_event!r} within {TRIGGER_DEADLINE_S:.0f} s; see the logs in {deployment.logs_dir}")
    if action.action == "status-unknown":
        client.status_of_id(NEVER_SUBMITTED, f"taskchaos-never-submitted-{uuid.uuid4()}", never_submitted=True)
        return
    if action.key not in client.ids:
        history.add(action.action, "note", action.key, skipped="its submission was not acknowledged: no id")
        return
    if action.action == "status":
        client.status(action.key, probe=True)
        return
    answer = client.cancel(action.key, terminate=action.terminate)
    if answer.get("cancelled"):
        _settle_cancel(client, history, action.key)


def run_scenario(deployment: Deployment, scenario: Scenario, directory: Path) -> RunRecord:
    directory.mkdir(parents=True, exist_ok=True)
    history = History(directory / "history.jsonl")
    client = TargetClient(deployment.app_url, history)
    try:
        history.add("phase", "start", name="workload", scenario=scenario.name, profile=deployment.profile.id)
        in_submission = {f.at_key: f for f in scenario.faults if f.phase == "submit"}
        gates = {g.after_key: g for g in scenario.gates}
        struck = []
        before_last = [f for f in scenario.faults if f.phase == "last-submit"]
        at_answer = {f.at_key: f for f in scenario.faults if f.phase == "answer"}
        last_fault_end = None
        for index, spec in enumerate(scenario.tasks):
            pause_s = scenario.pause_before_s(index)
            if pause_s:  # submission pacing is part of the plan: this wait *is* the scenario, not a guess
                time.sleep(pause_s)
            if index == len(scenario.tasks) - 1:  # the last submission is made inside these faults
                for event in before_last:
                    struck.append((*_strike(deployment, history, event, _trigger(deployment, event)), event))
            if spec.key in at_answer:
                last_fault_end = _at_answer(deployment, client, history, spec, at_answer[spec.key])
            else:
                client.submit(spec)
            if spec.key in gates:  # the next tasks wait until this one reaches the gate's point
                _gate(deployment, history, gates[spec.key])
            if spec.key in in_submission:  # the tasks after this one are submitted inside the fault
                event = in_submission[spec.key]
                struck.append((*_strike(deployment, history, event, _trigger(deployment, event)), event))
        for fault, fault_id, start, fault_event in struck:
            _wait_window(fault, start)
            last_fault_end = _heal(deployment, history, fault, fault_id, fault_event)
        for action in scenario.actions:
            _act(deployment, client, history, action)
        for fault_event in scenario.faults:
            if fault_event.phase == "run":
                last_fault_end = _during_run(deployment, history, fault_event)
        report = quiesce(deployment, client, history, scenario, last_fault_end)
        client.inflight()  # what the app is still waiting on: a hand-over that never returned
        if deployment.needs.get("monitor"):
            observe(deployment, dict(client.ids), history)
        record = RunRecord(scenario, deployment.describe(), history, report, directory)
        record.save()
        return record
    finally:
        client.close()
        history.close()
