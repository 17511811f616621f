"""Timeout control — "a task running past its time limit is stopped" (seed: 任务超时控制).

Property, over the acknowledged tasks of the run:

- a task with ``time_limit_s`` whose body runs longer (``duration_s`` > ``time_limit_s``) is stopped:
  no attempt of it succeeds (ledger), and after quiescence the status API reads ``failed`` (or
  ``cancelled``);
- a task with ``time_limit_s`` whose body fits in it is not stopped: it succeeds;
- the worker keeps serving: a task without a limit, queued behind the one that overran, succeeds.

A target answering 501 to a time limit is observed ``unsupported``. Measured, never asserted: each
overrunning task's attempts (a backend may retry a timed-out task), its final status and detail, and
for each attempt how long after its start the next attempt of any task started
(``stopped_within_s``: with one worker slot, an upper bound of how late the backend stopped it).
"""

from __future__ import annotations

import bisect

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, acknowledged, unsupported_submissions


def _role(spec) -> str:
    if spec.time_limit_s is None:
        return "follower"
    return "overrunning" if spec.duration_s > spec.time_limit_s else "within-limit"


class Timeout(Claim):
    name = "timeout"
    seed_row = "timeout"
    property = ("a task running past its time limit is stopped and reads failed, a task within it succeeds, and "
                "the worker goes on serving")

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        refused = unsupported_submissions(evidence)
        if refused:
            return ClaimResult(self.name, False, 0, 0, unsupported=True,
                               note=f"the target answered 501 to a time limit ({', '.join(refused)})")
        finals = evidence.history.final_status()
        start_monos = sorted(r.mono for r in evidence.ledger.records if r.event == "started")
        counts: dict[str, int] = {}
        violating: list[str] = []
        notes: list[str] = []
        measurements: dict[str, dict] = {}
        tasks = acknowledged(evidence)
        for spec, outcome in tasks:
            role = _role(spec)
            status = finals.get(spec.key) or {}
            state = status.get("state")
            succeeded = outcome.successes > 0
            if role == "overrunning":
                ok = not succeeded and state in ("failed", "cancelled")
                within = []
                for attempt in outcome.attempts:
                    later = bisect.bisect_right(start_monos, attempt.start_mono)  # the first start after it
                    within.append(round(start_monos[later] - attempt.start_mono, 3) if later < len(start_monos)
                                  else None)
                measurements[spec.key] = {
                    "time_limit_s": spec.time_limit_s, "duration_s": spec.duration_s,
                    "attempts": len(outcome.attempts), "status": state, "raw_state": status.get("raw_state"),
                    "detail": status.get("detail"),
                    "stopped_within_s": within}
                why = "it succeeded: the limit did not stop it" if succeeded else f"status reads {state!r}"
            else:
                ok = succeeded and state == "succeeded"
                why = f"ledger succeeded={succeeded}, status {state!r}"
            label = f"{role}-{'ok' if ok else 'broken'}"
            counts[label] = counts.get(label, 0) + 1
            if not ok:
                violating.append(spec.key)
                notes.append(f"{spec.key} ({role}): {why}")
        if not any(_role(spec) == "overrunning" for spec, _ in tasks):
            return ClaimResult(self.name, False, 0, 0, note="no acknowledged task ran past a time limit: "
                               "the run proves nothing")
        return ClaimResult(self.name, not violating, len(violating), len(tasks), counts, violating,
                           note="; ".join(notes), measurements=measurements)
