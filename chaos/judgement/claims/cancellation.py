"""Cancellation — "a task can be cancelled" (seed: 任务取消).

Property, over every task whose cancel request the target acknowledged (history ``cancel ok``):

- cancelled before it started (the ledger has no ``started`` for it before the cancel request): it
  never runs — the ledger has no ``started`` for it at all, however long the drain, and whatever fault
  struck after the cancel;
- cancelled while running (``started`` before the request; the scenario asks ``terminate``): it
  stops — no ``succeeded`` after the cancel request, in any attempt (a re-delivery counts);
- either way, after quiescence the status API reads ``cancelled``.

Whether a task was queued or running at the cancel is read from the ledger, not from the scenario.
A cancel route answering 501 is observed ``unsupported``.
"""

from __future__ import annotations

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence


class Cancellation(Claim):
    name = "cancellation"
    seed_row = "cancellation"
    property = ("a task cancelled before it starts never runs, a running one cancelled with terminate never "
                "succeeds after the cancel, and the status API reads cancelled")
    faults = ("none", "kill-worker")

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        cancels = evidence.history.of_kind("cancel")
        refused = [op.key for op in cancels if op.type == "fail" and op.data.get("unsupported")]
        if refused:
            return ClaimResult(self.name, False, 0, 0, unsupported=True,
                               note=f"the target answered 501 to cancel ({', '.join(refused)})")
        invoked = {op.key: op for op in cancels if op.type == "invoke"}
        finals = evidence.history.final_status()
        counts: dict[str, int] = {}
        violating: list[str] = []
        notes: list[str] = []
        relevant = 0
        for op in cancels:
            if op.type != "ok" or not op.data.get("cancelled"):
                continue
            key, at = op.key, invoked[op.key].mono
            records = evidence.ledger.for_key(key)
            started_before = any(r.event == "started" and r.mono < at for r in records)
            phase = "running" if started_before else "queued"
            relevant += 1
            state = (finals.get(key) or {}).get("state")
            broken = []
            if phase == "queued" and any(r.event == "started" for r in records):
                broken.append("it ran although it was cancelled before it started")
            if phase == "running" and any(r.event == "succeeded" and r.mono > at for r in records):
                broken.append("it succeeded after the cancel")
            if state != "cancelled":
                raw = (finals.get(key) or {}).get("raw_state")
                broken.append(f"status reads {state!r} ({raw!r})")
            label = f"cancelled-{phase}-{'broken' if broken else 'ok'}"
            counts[label] = counts.get(label, 0) + 1
            if broken:
                violating.append(key)
                notes.append(f"{key} (cancelled while {phase}): {'; '.join(broken)}")
        if relevant == 0:
            return ClaimResult(self.name, False, 0, 0, note="no cancel request was acknowledged: the run proves nothing")
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating, note="; ".join(notes))
