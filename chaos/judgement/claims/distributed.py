"""Distributed — "several workers share the work" (seed: 分布式执行).

Property: with two workers (``needs = {"workers": 2}``), no task body runs twice at the same time
or succeeds twice (the checker's ``concurrent`` / ``duplicated``), and the work spreads: task bodies
ran on more than one executor. Each body records which server ran it (``executor`` in its
``started`` record, named by the harness in the server's environment); per-executor counts go in
the measurements, and for each task whose attempts ran at the same time, how long they overlapped
(``overlap_s``: a frozen worker's attempt and the one another worker was handed meanwhile, under
pause-worker). When everything ran on one executor (BackgroundTasks: the app process), every
task counts against the claim.
"""

from __future__ import annotations

from collections import Counter

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, acknowledged


def overlap_s(attempts) -> float:
    """The longest time two of a task's attempts ran together: from the later one's start to the
    earlier of their last records (0.0 when none overlapped)."""
    longest = 0.0
    ordered = sorted(attempts, key=lambda a: a.start_mono)
    for i, first in enumerate(ordered):
        for later in ordered[i + 1:]:
            longest = max(longest, min(first.last_mono, later.last_mono) - later.start_mono)
    return round(longest, 3)


def attempts_per_executor(evidence: Evidence) -> dict[str, int]:
    """How many attempts each executor started (``executor`` of the ``started`` records)."""
    counts = Counter(str(r.detail.get("executor")) for r in evidence.ledger.records if r.event == "started")
    return dict(sorted(counts.items()))


class Distributed(Claim):
    name = "distributed"
    seed_row = "distributed"
    property = "with two workers, no task runs twice at once or succeeds twice, and bodies run on more than one worker"
    faults = ("none", "kill-worker", "pause-worker")
    needs = {"workers": 2}

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        outcomes = {spec.key: outcome for spec, outcome in acknowledged(evidence)}
        keys = list(outcomes)
        counts = dict(Counter(o.outcome for o in outcomes.values()))
        per_executor = attempts_per_executor(evidence)
        pids = sorted({r.pid for r in evidence.ledger.records if r.event == "started"})
        overlaps = {k: overlap_s(o.attempts) for k, o in outcomes.items() if o.concurrent}
        measurements = {"attempts_per_executor": per_executor, "body_pids": len(pids), "overlap_s": overlaps}
        if not keys:
            return ClaimResult(self.name, False, 0, 0, counts, note="no acknowledged task: the run proves nothing",
                               measurements=measurements)
        twice = [k for k, o in outcomes.items() if o.outcome == "duplicated"]
        spread = len(per_executor) > 1
        if not spread:
            only = next(iter(per_executor), "none")
            return ClaimResult(self.name, False, len(keys), len(keys), counts, keys,
                               note=f"every task body ran on one executor ({only})", measurements=measurements)
        return ClaimResult(self.name, not twice, len(twice), len(keys), counts, twice,
                           note=f"bodies ran on {len(per_executor)} executors"
                                + (f"; {len(twice)} ran twice" if twice else ""),
                           measurements=measurements)
