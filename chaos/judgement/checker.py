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

from dataclasses import asdict, dataclass, field

from chaos.records.history import History
from chaos.records.ledger import LedgerSnapshot
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
    by_number: dict[int, Attempt] = {}
    for r in records:
        a = by_number.get(r.attempt)
        if a is None:
            a = by_number[r.attempt] = Attempt(r.attempt, r.pid, r.mono, r.mono, [])
        a.events.append(r.event)
        a.start_mono = min(a.start_mono, r.mono)
        a.last_mono = max(a.last_mono, r.mono)
    return [by_number[n] for n in sorted(by_number)]


def _overlapping(attempts: list[Attempt]) -> bool:
    """Two attempts ran at the same time: one wrote a record after another had started."""
    for a in attempts:
        for b in attempts:
            if a is not b and a.start_mono < b.start_mono < a.last_mono:
                return True
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


def _recovery_s(attempts: list[Attempt], faults: list[dict]) -> float | None:
    """From the first fault that cut an attempt off to the success that followed."""
    success = next((a for a in attempts if a.end == "succeeded"), None)
    cut = next((a for a in attempts if a.end is None and a is not success), None)
    if success is None or cut is None:
        return None
    starts = [f["start_mono"] for f in faults if f["start_mono"] >= cut.start_mono]
    if not starts:
        return None
    return round(max(0.0, success.last_mono - min(starts)), 3)


def classify(spec_key: str, submission, attempts: list[Attempt], status: dict | None, faults: list[dict]) -> TaskOutcome:
    sub_type = submission.type if submission else None
    task_id = submission.data.get("id") if submission else None
    successes = sum(1 for a in attempts if a.end == "succeeded")
    concurrent = _overlapping(attempts)
    requested, redelivered = _split_retries(attempts)
    supported = status is None or status.get("supported", True)
    state = status.get("state") if status and supported else None
    o = TaskOutcome(spec_key, "", sub_type, task_id, attempts, requested, redelivered, successes, concurrent, status,
                    _recovery_s(attempts, faults))
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
    submissions = history.submissions()
    statuses = history.final_status()
    faults = history.faults()
    outcomes = {}
    for spec in specs:
        outcomes[spec.key] = classify(spec.key, submissions.get(spec.key), _attempts(ledger.for_key(spec.key)),
                                      statuses.get(spec.key), faults)
    counts = {name: 0 for name in OUTCOMES}
    for o in outcomes.values():
        counts[o.outcome] += 1
    return CheckResult(outcomes, ledger.torn_lines, {k: v for k, v in counts.items() if v})
