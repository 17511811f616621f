"""Priority — "higher-priority tasks run first" (seed: 任务优先级).

Property: under a backlog, no task starts before a higher-priority task that was already queued
(acknowledged) when it started. Each such pair is an *inversion*; the claim holds with 0 inversions.
A task's start is its first ``started`` record in the ledger (a redelivery later does not move it);
"queued" is the moment the client got the submission's acknowledgement (same monotonic clock).
Tasks that ask no priority (the held trigger task) and tasks that never started take no part in a
pair: never starting is the persistence claim's business, and they are listed in the measurements.

Needs ``prefetch = 1``: a Celery worker that reserves tasks ahead runs them in arrival order, whatever
their priority (celery/celery#4028, #1933); RQ and BackgroundTasks reserve nothing, so there it
changes nothing. A target without a priority API answers 501: the claim is then ``unsupported``.
"""

from __future__ import annotations

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, unsupported_submissions


def first_starts(evidence: Evidence) -> dict[str, float]:
    """Each task's first ``started`` time (monotonic), for the tasks that ever started."""
    starts: dict[str, float] = {}
    for record in evidence.ledger.records:
        if record.event == "started" and record.key not in starts:
            starts[record.key] = record.mono
    return starts


def inversions(priority: dict[str, int], queued: dict[str, float], started: dict[str, float]) -> list[tuple[str, str]]:
    """Pairs (early, skipped): ``early`` started while ``skipped``, of higher priority, was already
    queued and had not started yet."""
    pairs = []
    for early, early_start in started.items():
        for skipped, skipped_start in started.items():
            if (priority[skipped] > priority[early] and queued[skipped] < early_start
                    and skipped_start > early_start):
                pairs.append((early, skipped))
    return sorted(pairs, key=lambda p: started[p[0]])


class Priority(Claim):
    name = "priority"
    seed_row = "priority"
    property = "under a backlog, no task starts before a higher-priority task that was already queued"
    faults = ("none", "kill-worker")
    needs = {"reserve_ahead": 1}

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        refused = unsupported_submissions(evidence)
        if refused:
            return ClaimResult(self.name, False, 0, len(refused), {}, refused,
                               note=f"the target answered 501 to {len(refused)} submissions asking a priority",
                               unsupported=True)
        submissions = evidence.history.submissions()
        priority = {s.key: s.priority for s in evidence.specs
                    if s.priority is not None and submissions.get(s.key) and submissions[s.key].type == "ok"}
        queued = {key: submissions[key].mono for key in priority}
        starts = first_starts(evidence)
        started = {key: starts[key] for key in priority if key in starts}
        pairs = inversions(priority, queued, started)
        order = sorted(started, key=started.get)
        measurements = {"start_order": [[key, priority[key]] for key in order],
                        "inversions": [list(p) for p in pairs],
                        "never_started": sorted(set(priority) - set(started))}
        if len(started) < 2:
            return ClaimResult(self.name, False, 0, 0, note="fewer than two prioritised tasks started: no order "
                               "to judge", measurements=measurements)
        early = sorted({e for e, _ in pairs}, key=order.index)
        return ClaimResult(self.name, not pairs, len(pairs), len(started) * (len(started) - 1) // 2,
                           {"inversions": len(pairs), "started": len(started)}, early,
                           note=(f"{len(pairs)} inversions among {len(started)} started tasks" if pairs else
                                 f"{len(started)} tasks started in priority order"),
                           measurements=measurements)
