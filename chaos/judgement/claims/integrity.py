"""Integrity — beyond the seed's table: nothing runs that was not accepted, and nothing runs twice.

Property: no task is a ``phantom`` (its body ran although its submission was definitely refused)
and no acknowledged task is ``duplicated`` (its body succeeded more than once, or two attempts ran at
the same time). A first attempt cut short by a fault and then run again in full is a redelivery
(``retried``): counted, not a violation — it is what at-least-once delivery does. Lost tasks do not
break it either (persistence judges those); they decide, with the duplicates, which delivery the run
showed, in the measurements: ``exactly-once`` (nothing lost, nothing started twice), ``at-least-once``
(something started twice — a duplicate or a redelivery — nothing lost), ``at-most-once`` (something lost, nothing twice) or ``neither``.

The seed's table claims it for no backend, so the matrix shows it as ``not-claimed`` where a run broke
it: which profile gives at-most-once, at-least-once or neither, under which fault. The workload is
persistence's (t0 held at its start, tasks queued behind it), so the two claims see the same runs'
shape; without this claim a target that ran every task twice passed persistence, retry and status.
"""

from __future__ import annotations

from collections import Counter

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence

BREAKS = ("phantom", "duplicated")
LOSSES = ("lost", "stuck")


def delivery(outcomes: list[str]) -> str:
    twice = any(o in ("duplicated", "retried") for o in outcomes)  # a redelivery ran the body twice as well
    lost = any(o in LOSSES for o in outcomes)
    return {(False, False): "exactly-once", (True, False): "at-least-once", (False, True): "at-most-once",
            (True, True): "neither"}[(twice, lost)]


class Integrity(Claim):
    name = "integrity"
    seed_row = "integrity"
    property = "nothing runs that was not accepted, and no accepted task succeeds twice or runs twice at once"
    faults = ("none", "kill-worker", "kill-producer", "reset-peer-run")

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        outcomes = {spec.key: evidence.check.outcomes[spec.key] for spec in evidence.specs}
        relevant = {k: o.outcome for k, o in outcomes.items() if o.submission == "ok" or o.outcome == "phantom"}
        counts = dict(Counter(relevant.values()))
        violating = [k for k, o in relevant.items() if o in BREAKS]
        measurements = {"delivery": delivery(list(relevant.values())),
                        "redelivered": sorted(k for k, o in relevant.items() if o == "retried")}
        if not relevant:
            return ClaimResult(self.name, False, 0, 0, counts, note="no acknowledged task: the run proves nothing",
                               measurements=measurements)
        return ClaimResult(self.name, not violating, len(violating), len(relevant), counts, violating,
                           measurements=measurements)
