"""The checker: joins the history (what the client saw), the ledger (what really ran) and the final
status answers into exactly one outcome per task.

Outcomes (DESIGN.md), in the order they are decided:

- ``rejected``: the submission was definitely refused and nothing ran (outside every claim);
- ``phantom``: it ran although its submission was definitely refused;
- ``indeterminate``: the submission's answer never came (``info``) and the task did not complete;
  never counted as lost (Jepsen's rule: only acknowledged work can be lost);
- ``duplicated``: the body succeeded more than once, or two attempts ran at the same time;
- ``failed``: never succeeded, and the status API shows a terminal failure (or cancellation);
- ``stuck``: never succeeded, and the status API still says running / retrying;
- ``lost``: accepted, never succeeded, no visible failure;
- ``status-mismatch``: succeeded once, but the status API does not say so after quiescence;
- ``retried``: succeeded once after more than one attempt — split into retries the spec asked for
  and redeliveries after a fault;
- ``ok``: accepted, ran to success exactly once, in one attempt.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field

from chaos.records.history import History
from chaos.records.ledger import APP_EVENTS, LedgerSnapshot, gc_paused
from chaos.records.taskspec import TaskSpec

OUTCOMES = ("ok", "retried", "duplicated", "lost", "stuck", "failed", "status-mismatch", "phantom",
            "indeterminate", "rejected")
END_EVENTS = ("succeeded", "failed", "crashing")


@dataclass
class Attempt:
    number: int
    pid: int
    start_mono: float
    last_mono: float
    events: list[str]

    @property
    def end(self) -> str | None:
        """How the attempt ended: succeeded / failed / crashing, or None if it was cut off."""
        for event in ("succeeded", "failed", "crashing"):
            if event in self.events:
                return event
        return None


@dataclass
class TaskOutcome:
    key: str
    outcome: str
    submission: str | None  # ok / fail / info / None (never submitted)
    task_id: str | None
    attempts: list[Attempt]
    requested_retries: int = 0
    redeliveries: int = 0
    successes: int = 0
    concurrent: bool = False
    status: dict | None = None
    recovery_s: float | None = None
    note: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        d["attempts"] = [asdict(a) | {"end": a.end} for a in self.attempts]
        return d


@dataclass
class CheckResult:
    outcomes: dict[str, TaskOutcome]
    torn_ledger_lines: int
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"counts": self.counts, "torn_ledger_lines": self.torn_ledger_lines,
                "tasks": [o.to_json() for o in self.outcomes.values()]}


def _attempts(records) -> list[Attempt]:
    """The key's attempts, from its body's records (the app's own, e.g. a held answer, are none)."""
    by_number: dict[int, Attempt] = {}
    for r in records:
        if r.event in APP_EVENTS:
            continue
        a = by_number.get(r.attempt)
        if a is None:
            a = by_number[r.attempt] = Attempt(r.attempt, r.pid, r.mono, r.mono, [])
        a.events.append(r.event)
        if r.mono < a.start_mono:
            a.start_mono = r.mono
        elif r.mono > a.last_mono:
            a.last_mono = r.mono
    return [by_number[n] for n in sorted(by_number)]


def _overlapping(attempts: list[Attempt]) -> bool:
    """Two attempts ran at the same time: one wrote a record after another had started (some a, b
    with a.start_mono < b.start_mono < a.last_mono). In start order, b overlaps an earlier-started
    attempt exactly when its start is before the latest ``last_mono`` of those started strictly
    before it: O(n log n) in the attempts, not O(n^2)."""
    if len(attempts) < 2:
        return False
    ordered = sorted(attempts, key=lambda a: a.start_mono)
    latest = float("-inf")  # the latest last_mono among the attempts started strictly earlier
    i = 0
    while i < len(ordered):
        start = ordered[i].start_mono
        if start < latest:
            return True
        j = i
        while j < len(ordered) and ordered[j].start_mono == start:  # attempts starting together
            latest = max(latest, ordered[j].last_mono)
            j += 1
        i = j
    return False


def _split_retries(attempts: list[Attempt]) -> tuple[int, int]:
    """(requested retries, redeliveries): each attempt after the first is classified by how the one
    before it ended — a requested failure or crash, or cut off by something else (a fault)."""
    requested = redelivered = 0
    for previous in attempts[:-1]:
        if previous.end in ("failed", "crashing"):
            requested += 1
        elif previous.end is None:
            redelivered += 1
    return requested, redelivered


def _fault_starts(faults: list[dict]) -> list[float]:
    return sorted(f["start_mono"] for f in faults)


def _recovery_s(attempts: list[Attempt], fault_starts: list[float]) -> float | None:
    """From the first fault that cut an attempt off to the success that followed.
    ``fault_starts``: every fault's start, sorted (``_fault_starts``)."""
    success = next((a for a in attempts if a.end == "succeeded"), None)
    cut = next((a for a in attempts if a.end is None and a is not success), None)
    if success is None or cut is None:
        return None
    first = bisect.bisect_left(fault_starts, cut.start_mono)  # the first fault starting at or after the cut
    if first == len(fault_starts):
        return None
    return round(max(0.0, success.last_mono - fault_starts[first]), 3)


def classify(spec_key: str, submission, attempts: list[Attempt], status: dict | None, faults: list[dict],
             fault_starts: list[float] | None = None) -> TaskOutcome:
    """One task's outcome. ``fault_starts``: ``_fault_starts(faults)``, when the caller classifies
    many tasks against the same faults (computed here otherwise)."""
    sub_type = submission.type if submission else None
    task_id = submission.data.get("id") if submission else None
    successes = sum(1 for a in attempts if a.end == "succeeded")
    concurrent = _overlapping(attempts)
    requested, redelivered = _split_retries(attempts)
    supported = status is None or status.get("supported", True)
    state = status.get("state") if status and supported else None
    o = TaskOutcome(spec_key, "", sub_type, task_id, attempts, requested, redelivered, successes, concurrent, status,
                    _recovery_s(attempts, _fault_starts(faults) if fault_starts is None else fault_starts))
    if sub_type == "fail":
        o.outcome = "phantom" if attempts else "rejected"
    elif successes > 1 or concurrent:
        o.outcome = "duplicated"
        o.note = f"{successes} successful attempts" + (", attempts overlapped in time" if concurrent else "")
    elif successes == 0 and sub_type != "ok":
        o.outcome = "indeterminate"
        o.note = "submission answer never came; the task did not complete"
    elif successes == 0:
        if state in ("failed", "cancelled"):
            o.outcome = "failed"
        elif state in ("running", "retrying"):
            o.outcome = "stuck"
        else:
            o.outcome = "lost"
            o.note = "status API unavailable" if not supported else f"status says {state!r}"
    elif supported and status is not None and state != "succeeded":
        o.outcome = "status-mismatch"
        o.note = f"ledger: succeeded; status: {state!r} ({status.get('raw_state')!r})"
    elif len(attempts) > 1:
        o.outcome = "retried"
    else:
        o.outcome = "ok"
    return o


def check(specs: list[TaskSpec], history: History, ledger: LedgerSnapshot) -> CheckResult:
    """Linear in the history and the ledger: each view of the history is one pass over its ops, and
    ``ledger.for_key`` answers from an index built in one pass over the records."""
    with gc_paused():  # a full collection walks the whole ledger and history: seconds at 10^6 records
        submissions = history.submissions()
        statuses = history.final_status()
        faults = history.faults()
        fault_starts = _fault_starts(faults)
        outcomes = {}
        for spec in specs:
            outcomes[spec.key] = classify(spec.key, submissions.get(spec.key), _attempts(ledger.for_key(spec.key)),
                                          statuses.get(spec.key), faults, fault_starts)
    counts = {name: 0 for name in OUTCOMES}
    for o in outcomes.values():
        counts[o.outcome] += 1
    return CheckResult(outcomes, ledger.torn_lines, {k: v for k, v in counts.items() if v})
