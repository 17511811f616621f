"""Status — "the task's state can be queried" (seed: 任务状态查询).

Property, over what the run recorded:

1. after quiescence, the status API agrees with the ledger for every acknowledged task:
   - a task the ledger shows succeeded reads ``succeeded``;
   - a task that never succeeded and whose last attempt failed (or crashed) reads ``failed`` once it
     has used every attempt the profile allows, and ``failed``, ``retrying`` or ``pending`` before
     (a retry is still due: the drain may end before it comes);
   - a task whose last attempt was cut off (no end record) after a fault struck reads ``failed`` or
     ``cancelled``: "running" or "pending" is stale, nothing runs it any more;
   - a task that never started reads ``pending`` or ``cancelled`` (``unknown`` = the backend forgot a
     task it acknowledged);
2. an id that was never submitted does not read like a queued task: the status read of such an id
   (``status-unknown`` action) must differ, in ``state`` and ``raw_state``, from every read of an
   acknowledged task made before the ledger shows it started.

Checked with no fault, and with a worker kill and a Redis restart striking while the first task is
held at its start (the others queued behind it). A status route that answers 501 is observed
``unsupported``.
"""

from __future__ import annotations

from chaos.judgement.checker import Attempt
from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, acknowledged

UNKNOWN_ID = "never-submitted-id"


def _expected_states(attempts: list[Attempt], fault_starts: list[float], max_attempts: int) -> tuple[set[str], str]:
    """The states that agree with the ledger, and what the ledger says, in words."""
    if any(a.end == "succeeded" for a in attempts):
        return {"succeeded"}, "succeeded"
    if not attempts:
        return {"pending", "cancelled"}, "never started"
    last = attempts[-1]
    if last.end in ("failed", "crashing"):
        if len(attempts) < max_attempts:  # a retry is still due (e.g. the drain ended before it came)
            return {"failed", "retrying", "pending"}, f"last attempt {last.end}, {len(attempts)} of {max_attempts}"
        return {"failed"}, f"last attempt {last.end}, all {max_attempts} attempts used, never succeeded"
    if any(start >= last.start_mono for start in fault_starts):
        return {"failed", "cancelled"}, "last attempt cut off by a fault"
    # Cut off with no fault after it began: only a drain that timed out leaves a live attempt so.
    return {"failed", "cancelled", "running"}, "last attempt has no end (still running?)"


def _first_started(evidence: Evidence, key: str) -> float | None:
    starts = [r.mono for r in evidence.ledger.for_key(key) if r.event == "started"]
    return min(starts) if starts else None


class Status(Claim):
    name = "status"
    seed_row = "status"
    property = ("after quiescence the status API agrees with the ledger for every acknowledged task, and an id "
                "never submitted does not read like a queued task")
    faults = ("none", "kill-worker", "restart-broker")

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        finals = evidence.history.final_status()
        if any(answer.get("supported") is False for answer in finals.values()):
            return ClaimResult(self.name, False, 0, 0, unsupported=True,
                               note="the target answered 501: the backend has no status API")
        fault_starts = [f["start_mono"] for f in evidence.history.faults()]
        counts: dict[str, int] = {}
        violating: list[str] = []
        notes: list[str] = []
        tasks = acknowledged(evidence)
        relevant = len(tasks)
        for spec, outcome in tasks:
            expected, ledger_says = _expected_states(outcome.attempts, fault_starts, profile.max_attempts)
            state = (finals.get(spec.key) or {}).get("state")
            if state in expected:
                counts["agrees"] = counts.get("agrees", 0) + 1
            else:
                counts["disagrees"] = counts.get("disagrees", 0) + 1
                violating.append(spec.key)
                raw = (finals.get(spec.key) or {}).get("raw_state")
                notes.append(f"{spec.key}: ledger {ledger_says}, status {state!r} ({raw!r})")

        measurements = {}
        unknown = [op.data for op in evidence.history.of_kind("status") if op.data.get("never_submitted")]
        queued = []
        for op in evidence.history.of_kind("status"):
            if op.key not in evidence.check.outcomes or op.data.get("final") or op.data.get("state") is None:
                continue
            started = _first_started(evidence, op.key)
            if started is None or op.mono < started:
                queued.append(op.data)
        if unknown and queued:
            relevant += 1
            u = unknown[0]
            same = [q for q in queued if (q.get("state"), q.get("raw_state")) == (u.get("state"), u.get("raw_state"))]
            measurements["never_submitted_reads"] = {"state": u.get("state"), "raw_state": u.get("raw_state")}
            measurements["queued_reads"] = sorted({f"{q.get('state')}/{q.get('raw_state')}" for q in queued})
            if same:
                violating.append(UNKNOWN_ID)
                counts["unknown-id-reads-as-queued"] = 1
                notes.append(f"an id never submitted reads {u.get('state')!r} ({u.get('raw_state')!r}), exactly "
                             "like a queued task")
            else:
                counts["unknown-id-distinguishable"] = 1
        elif unknown:
            notes.append("no status read of a queued task to compare the never-submitted id with")
        if relevant == 0:
            return ClaimResult(self.name, False, 0, 0, note="no acknowledged task: the run proves nothing")
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating,
                           note="; ".join(notes), measurements=measurements)
