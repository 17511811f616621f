"""Throughput — the seed's section 7.2 experiment, scaled down: n tasks of d seconds over N workers.

The seed claims linear scaling ("1000 × 1 s: one process 1000 s; 4 workers 250 s; 10 workers 100 s").
This claim *measures*; it never asserts a speed (``measured_only``, verdict ``measured``). From the
ledger and the history it reports the processing time (first body started → last body returned),
tasks/s over it, the serial time n·d, the measured speedup n·d / processing time, and efficiency =
speedup / N, the fraction of the seed's linear claim reached (1.0 = linear). The makespan (first
submission sent → last body returned) is reported beside it: it adds the submission path, e.g. the
app's first publish to the broker (over a second for Celery's first ``delay()`` on a loaded machine). N is the number of executors the
bodies ran on (from the ledger); ``max_parallel`` is how many bodies ran at the same moment, which
shows when one executor runs several at once (BackgroundTasks' thread pool).
"""

from __future__ import annotations

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence
from chaos.judgement.claims.distributed import attempts_per_executor


def max_parallel(evidence: Evidence) -> int:
    """The most bodies running at one moment (each attempt from its ``started`` to its last record)."""
    spans: dict[tuple[str, int], list[float]] = {}
    for r in evidence.ledger.records:
        span = spans.setdefault((r.key, r.attempt), [r.mono, r.mono])
        span[0], span[1] = min(span[0], r.mono), max(span[1], r.mono)
    edges = sorted([(a, 1) for a, _ in spans.values()] + [(b, -1) for _, b in spans.values()])
    running = best = 0
    for _, step in edges:
        running += step
        best = max(best, running)
    return best


class Throughput(Claim):
    name = "throughput"
    seed_row = "throughput"
    property = "N workers run n tasks of d seconds in n·d/N seconds (the seed's linear scaling): measured, not asserted"
    faults = ("none",)
    needs = {"workers": 2}

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        done = [s for s in evidence.specs if evidence.check.outcomes[s.key].outcome == "ok"]
        counts = dict(evidence.check.counts)
        sends = [op.mono for op in evidence.history.ops if op.kind == "submit" and op.type == "invoke"]
        starts = [r.mono for r in evidence.ledger.records if r.event == "started"]
        returned = [r.mono for r in evidence.ledger.records if r.event == "returned"]
        if not done or not sends or not returned:
            return ClaimResult(self.name, False, 0, 0, counts, note="no task ran to success: nothing to measure",
                               measured_only=True)
        makespan = max(returned) - min(sends)
        processing = max(returned) - min(starts)
        serial = sum(s.duration_s for s in done)
        executors = attempts_per_executor(evidence)
        speedup = serial / processing
        measurements = {
            "tasks": len(done), "task_duration_s": sorted({s.duration_s for s in done}),
            "executors": len(executors), "attempts_per_executor": executors, "max_parallel": max_parallel(evidence),
            "processing_s": round(processing, 3), "makespan_s": round(makespan, 3),
            "tasks_per_s": round(len(done) / processing, 3), "tasks_per_s_with_submission": round(len(done) / makespan, 3),
            "serial_s": round(serial, 3), "seed_linear_s": round(serial / len(executors), 3),
            "speedup": round(speedup, 3), "efficiency": round(speedup / len(executors), 3),
        }
        return ClaimResult(self.name, True, 0, len(done), counts, note=(
            f"{len(done)} tasks processed in {processing:.2f} s on {len(executors)} executor(s): "
            f"{len(done) / processing:.2f} tasks/s, "
            f"speedup {speedup:.2f}, efficiency {speedup / len(executors):.2f} of linear"),
            measurements=measurements, measured_only=True)
