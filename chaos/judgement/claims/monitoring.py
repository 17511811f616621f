"""Monitoring — "the backend has a monitoring tool" (seed: 监控工具; Celery → Flower, RQ → RQ Dashboard).

Property: after quiescence the monitor shows every acknowledged task, in a state that agrees with
the ledger, and its own totals of succeeded and failed tasks equal the ledger's.

The claim reads only the history's final ``monitor`` op (taken by chaos/monitor/observe.py after
quiescence) and the ledger. Per acknowledged task, what the ledger says, and what the monitor may
show for it to agree:

- ``succeeded`` (a body succeeded at least once) → ``succeeded``;
- ``failed`` (no success; the last attempt ended failing or crashing) → ``failed``;
- ``cut-off`` (no success; the last attempt has no end: a fault cut it) → ``failed``, ``running`` or
  ``retrying`` (the monitor may or may not have noticed; it must not call it a success);
- ``never-ran`` → ``pending``, ``cancelled`` or ``failed``.

A task the monitor does not list is ``missing``; one it lists in another state is ``wrong-state``.
The monitor's own totals are two more checks (``count:succeeded``, ``count:failed``), so ``n/N``
counts the acknowledged tasks plus those two: its succeeded total must equal the ledger's, its
failed total must lie between the ledger's failed tasks and those plus the unfinished ones (which
it may count as failed, as above). A monitor that could not be read at the end shows nothing:
every task is missing. A backend with no monitor (the history's reading says ``supported=False``)
is ``unsupported`` when the target's status API answered 501 too (no task state exists anywhere);
with a status API that answers, the gap is the suite's, and the run is inconclusive.
"""

from __future__ import annotations

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, acknowledged

AGREES = {
    "succeeded": ("succeeded",),
    "failed": ("failed",),
    "cut-off": ("failed", "running", "retrying"),
    "never-ran": ("pending", "cancelled", "failed"),
}
TOTALS = ("succeeded", "failed")


def ledger_state(outcome) -> str:
    if outcome.successes:
        return "succeeded"
    if not outcome.attempts:
        return "never-ran"
    return "failed" if outcome.attempts[-1].end in ("failed", "crashing") else "cut-off"


def final_reading(history):
    finals = [op for op in history.ops if op.kind == "monitor" and op.data.get("final")]
    return finals[-1] if finals else None


class Monitoring(Claim):
    name = "monitoring"
    seed_row = "monitoring"
    property = ("after quiescence the monitor shows every acknowledged task in the state the ledger shows, "
                "and its succeeded/failed totals equal the ledger's")
    faults = ("none", "restart-monitor")
    needs = {"monitor": True}

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        reading = final_reading(evidence.history)
        if reading is None:
            return ClaimResult(self.name, False, 0, 0, note="no final monitor reading in the history: the run did "
                               "not read a monitor (does the deployment run the 'monitor' need?)")
        if reading.data.get("supported") is False:
            status_501 = any(op.kind == "status" and op.data.get("supported") is False for op in evidence.history.ops)
            if status_501:
                return ClaimResult(self.name, False, 0, 0, unsupported=True,
                                   note=f"{reading.data.get('reason')}, and the target's status API answered 501: "
                                        "the backend keeps no task state that anything could monitor")
            return ClaimResult(self.name, False, 0, 0, note=f"{reading.data.get('reason')}, but the target's status "
                               "API answers, so the backend has task state: the suite lacks its monitor (add one to "
                               "chaos/monitor)")
        shown = reading.data.get("tasks", {}) if reading.type == "ok" else {}
        acked = {spec.key: outcome for spec, outcome in acknowledged(evidence)}
        counts: dict[str, int] = {}
        violating: list[str] = []
        ledger_totals = dict.fromkeys(TOTALS, 0)
        per_task = {}
        for key, outcome in acked.items():
            truth = ledger_state(outcome)
            ledger_totals[truth] = ledger_totals.get(truth, 0) + 1
            seen = shown.get(outcome.task_id)
            state = seen["state"] if seen else None
            verdict = "agrees" if state in AGREES[truth] else "missing" if seen is None else "wrong-state"
            per_task[key] = {"ledger": truth, "monitor": state, "raw": seen and seen.get("raw_state"), "verdict": verdict}
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict != "agrees":
                violating.append(key)
        monitor_totals = {state: (reading.data.get("counts") or {}).get(state, 0) for state in TOTALS}
        unfinished = ledger_totals.get("cut-off", 0) + ledger_totals.get("never-ran", 0)
        allowed = {"succeeded": (ledger_totals["succeeded"], ledger_totals["succeeded"]),
                   "failed": (ledger_totals["failed"], ledger_totals["failed"] + unfinished)}
        for state in TOTALS:
            low, high = allowed[state]
            if not low <= monitor_totals[state] <= high:
                violating.append(f"count:{state}")
                counts["count-mismatch"] = counts.get("count-mismatch", 0) + 1
        relevant = len(acked) + len(TOTALS)
        if not acked:
            return ClaimResult(self.name, False, 0, 0, note="no acknowledged task: the run proves nothing")
        note = "" if reading.type == "ok" else f"the monitor could not be read: {reading.data.get('error')}"
        measurements = {"monitor": reading.data.get("monitor"), "settle_s": reading.data.get("elapsed_s"),
                        "settled": reading.data.get("settled", False), "ledger_totals": ledger_totals,
                        "monitor_totals": monitor_totals, "monitor_counts": reading.data.get("counts"),
                        "tasks": per_task}
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating, note,
                           measurements=measurements)
