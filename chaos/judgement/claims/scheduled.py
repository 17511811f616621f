"""Scheduled — "run later / periodically" (seed: 定时任务; Celery yes via Beat, RQ "needs extra tools").

Two properties, both judged from the ledger's times against the client's history:

- **run later** (tasks submitted with ``countdown_s``): each runs to success exactly once, not
  before its time (submission + countdown, less ``EARLY_TOLERANCE_S``) and not later than
  ``LATE_TOLERANCE_S`` after it — plus the profile's ``recovery_window_s`` when a fault struck
  (a restarted worker may only get the task back through the backend's own recovery). Each task's
  lateness (its successful attempt's ``started`` minus submission + countdown) is measured. When the
  executors were down at the due time (a fault on the executor struck before it and healed after),
  the task could not run before they were back: lateness is then judged from the fault's end (the
  restarted worker ready), so the time the suite's own restart took on a loaded machine is not held
  against the backend (seen: 10 s for a Celery worker on 2 busy cores; RabbitMQ hands the message
  back at once, so its task waited only for that).
- **periodically** (the ticks of the backend's periodic scheduler — Celery Beat, targets/celery/beat.py;
  for RQ the rq-scheduler package, targets/rq/periodic.py — keys ``beat-<count>-<sent ms>`` written
  by the shared body): every tick due within the run gets a run of its own and none runs
  twice — judged by when Beat sent them (see ``_ticks``): a missed tick (a gap of several periods
  between sends, e.g. while Beat was down and did not catch up), a tick sent twice, a tick message
  run twice. Beat's own count of each tick is recorded too (a drop shows Beat restarting from older
  persisted state). Only where the run has ticks: a backend without a periodic scheduler has none,
  and the claim then rests on "run later" alone.

A countdown the target refused with 501 is how "unsupported" is observed.
"""

from __future__ import annotations

import math
from collections import defaultdict

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, unsupported_submissions
from chaos.records.history import EXECUTOR_ROLE

EARLY_TOLERANCE_S = 1.0  # the coarsest clock among the backends: RQ scores scheduled jobs in whole seconds
LATE_TOLERANCE_S = 2.0
BEAT_PERIOD_S = 2.0
# How late a send of the periodic scheduler may be and still be a late tick, not a missed one. Beat
# counts each next send from the last actual one, so a send delayed by a busy machine makes one long
# gap, not a lost tick: a tick is missed only when a gap holds a second period's due time plus this.
# (The CI run of dbc6d7e, 6 cells on 2 cores, failed scheduled/kill-worker/celery-acks-late with one
# violation among 13 that no quiet run shows: first gaps of 2.1-2.3 s are usual, so a send 1 s late
# under that load would have counted as a missed tick under the former rounding, g/P + 0.5.)
SEND_JITTER_S = 0.75 * BEAT_PERIOD_S
TICK_PREFIX = "beat-"
GOOD_OUTCOMES = ("ok", "retried", "status-mismatch")  # exactly one successful attempt


def _submission_times(evidence: Evidence) -> dict[str, dict[str, float]]:
    """key -> {"invoke": mono, "ok": mono} of each submission."""
    times: dict[str, dict[str, float]] = defaultdict(dict)
    for op in evidence.history.ops:
        if op.kind == "submit" and op.type in ("invoke", "ok"):
            times[op.key].setdefault(op.type, op.mono)
    return times


def _fault_struck(evidence: Evidence) -> bool:
    return bool(evidence.history.faults())


def _due_ticks(gap: float, period: float) -> int:
    """How many due ticks a gap of ``gap`` s between two sends holds: none when it is shorter than
    half a period (a tick sent twice), else one, plus one for every further period it spans beyond
    ``SEND_JITTER_S`` of lateness."""
    if gap <= period / 2:
        return 0
    return max(1, math.floor((gap + period - SEND_JITTER_S) / period))


class Scheduled(Claim):
    name = "scheduled"
    seed_row = "scheduled"
    property = (f"a task with a countdown runs once, not before its time, at most {LATE_TOLERANCE_S:g} s late "
                f"(+ the profile's recovery window after a fault); every periodic tick runs once, none twice")
    faults = ("none", "kill-worker", "kill-beat")
    needs = {"beat": BEAT_PERIOD_S, "countdown_scheduler": True}

    def judge(self, evidence: Evidence, profile) -> ClaimResult:
        refused = [k for k in unsupported_submissions(evidence)
                   if any(s.key == k and s.countdown_s > 0 for s in evidence.specs)]
        if refused:
            return ClaimResult(self.name, False, 0, 0, note=f"the target has no API to run later: {', '.join(refused)} "
                               "answered 501", unsupported=True, violating_keys=refused)
        tolerance = LATE_TOLERANCE_S + (profile.recovery_window_s if _fault_struck(evidence) else 0.0)
        counts: dict[str, int] = {}
        violating: list[str] = []
        notes: list[str] = []
        tasks = self._countdown_tasks(evidence, tolerance, counts, violating, notes)
        ticks = self._ticks(evidence, counts, violating, notes)
        relevant = len(tasks) + ticks["relevant"]
        measurements = {"tolerance": {"early_s": EARLY_TOLERANCE_S, "late_s": tolerance, "fault": _fault_struck(evidence)},
                        "tasks": tasks, "ticks": ticks}
        if relevant == 0:
            return ClaimResult(self.name, False, 0, 0, counts, [], "nothing scheduled ran or was accepted: the run "
                               "proves nothing", measurements=measurements)
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating, "; ".join(notes),
                           measurements=measurements)

    # -- run later ---------------------------------------------------------------------------------
    def _countdown_tasks(self, evidence, tolerance, counts, violating, notes) -> dict:
        times = _submission_times(evidence)
        faults = evidence.history.faults()
        measured = {}
        for spec in evidence.specs:
            outcome = evidence.check.outcomes[spec.key]
            if spec.countdown_s <= 0 or outcome.submission != "ok":
                continue
            due_earliest = times[spec.key]["invoke"] + spec.countdown_s  # the backend cannot have it earlier
            due_latest = times[spec.key]["ok"] + spec.countdown_s
            # no executor before the fault on it healed: the earliest the backend could run it
            back = [f["end_mono"] for f in faults if f.get("role") == EXECUTOR_ROLE and f.get("end_mono")
                    and f["start_mono"] < due_latest < f["end_mono"]]
            runnable_from = max([due_latest, *back])
            first = outcome.attempts[0] if outcome.attempts else None
            success = next((a for a in outcome.attempts if a.end == "succeeded"), None)
            row = {"countdown_s": spec.countdown_s, "outcome": outcome.outcome, "attempts": len(outcome.attempts),
                   "successes": outcome.successes,
                   "first_start_vs_due_s": round(first.start_mono - due_earliest, 3) if first else None,
                   "lateness_s": round(success.start_mono - due_latest, 3) if success else None,
                   "executor_back_after_due_s": round(runnable_from - due_latest, 3),
                   "late_s": round(success.start_mono - runnable_from, 3) if success else None,
                   "fault_before_due": any(f["start_mono"] < due_earliest for f in faults)}
            problems = []
            if outcome.outcome not in GOOD_OUTCOMES:
                problems.append(outcome.outcome)
            if first and first.start_mono < due_earliest - EARLY_TOLERANCE_S:
                problems.append("early")
            if success and success.start_mono - runnable_from > tolerance:
                problems.append("late")
            row["violation"] = problems
            label = "+".join(problems) if problems else "on-time"
            counts[label] = counts.get(label, 0) + 1
            if problems:
                violating.append(spec.key)
                back_note = (f", {row['late_s']} s after the executor was back" if runnable_from > due_latest else "")
                notes.append(f"{spec.key}: {label} (countdown {spec.countdown_s:g} s, "
                             f"lateness {row['lateness_s']} s{back_note}, {outcome.successes} successful attempts)")
            measured[spec.key] = row
        return measured

    # -- periodically --------------------------------------------------------------------------------
    def _ticks(self, evidence, counts, violating, notes) -> dict:
        """Ticks are judged by the times the scheduler sent them: a period-P schedule has one due tick
        per period, so the gap before a send holds the due ticks ``_due_ticks`` counts (a late send
        is one long gap, not a missed tick), which the runs of that send must cover one for one —
        fewer runs: due ticks missed (a late catch-up run counts for one tick only); more: ticks sent
        twice (e.g. two sends less than P/2 apart). One message run twice is a tick run twice.

        A tick message's runs: Beat sends a new message per tick (key ``beat-<count>-<sent ms>``), so
        a key run twice is a redelivery. rq-scheduler re-enqueues *one* job for every tick (count 0):
        ticks that queue up behind a busy worker are the same job, queued twice, and each run reads
        the job's latest enqueue time — so for those, each run of a key is one tick sent at or before
        that time, and a surplus of runs shows only against the due ticks."""
        runs: dict[str, dict] = {}  # one per tick key
        for r in evidence.ledger.records:
            if not r.key.startswith(TICK_PREFIX):
                continue
            _, number, sent_ms = r.key.split("-")
            run = runs.setdefault(r.key, {"key": r.key, "number": int(number), "sent_wall": int(sent_ms) / 1000,
                                          "starts": []})
            if r.event == "started":
                run["starts"].append(r.wall)
        if not runs:
            return {"relevant": 0, "period_s": BEAT_PERIOD_S, "note": "no periodic tick in this run"}
        period = BEAT_PERIOD_S

        def ticks_of(run) -> int:  # how many ticks this key's runs stand for
            return max(1, len(run["starts"])) if run["number"] == 0 else 1

        order = sorted(runs.values(), key=lambda run: run["sent_wall"])
        end_wall = max(op.wall for op in evidence.history.ops)
        gaps = [b["sent_wall"] - a["sent_wall"] for a, b in zip(order, order[1:])]
        due = [_due_ticks(g, period) for g in gaps]
        missed = sum(max(0, d - ticks_of(b)) for d, b in zip(due, order[1:]))
        # after the last send: ticks due long enough before the end of the run (a late send and the
        # late tolerance of its run) to have run by then
        missed += max(0, math.floor((end_wall - order[-1]["sent_wall"] - SEND_JITTER_S - LATE_TOLERANCE_S) / period))
        sent_twice = [b["key"] for d, b in zip(due, order[1:]) if ticks_of(b) > d]
        run_twice = [run["key"] for run in order if run["number"] and len(run["starts"]) > 1]
        # Beat's own count of the tick (0: the scheduler keeps none — rq-scheduler): a drop is Beat
        # restarting from older persisted state, a jump a counted tick that never ran
        counted = list(zip(order, order[1:])) if all(run["number"] for run in order) else []
        count_restarts = [(a["number"], b["number"]) for a, b in counted if b["number"] <= a["number"]]
        never_ran = [(a["number"], b["number"]) for a, b in counted if b["number"] > a["number"] + 1]
        delivery = sorted(run["starts"][0] - run["sent_wall"] for run in order if run["starts"])
        violating.extend(sent_twice + run_twice)
        violating.extend(["beat (missed tick)"] * missed)
        if sent_twice:
            counts["tick-sent-twice"] = len(sent_twice)
            notes.append(f"more tick runs than due ticks after {len(sent_twice)} send(s): {sent_twice}")
        if run_twice:
            counts["tick-run-twice"] = len(run_twice)
            notes.append(f"tick message(s) run twice: {', '.join(run_twice)}")
        if missed:
            counts["tick-missed"] = missed
            notes.append(f"{missed} due tick(s) of period {period:g} s got no run (largest gap between sends "
                         f"{max(gaps, default=0):.3f} s)")
        if count_restarts:
            notes.append(f"Beat's run count restarted: {count_restarts} (its persisted schedule state was older)")
        counts["tick"] = sum(ticks_of(run) for run in order)
        return {"relevant": sum(ticks_of(run) for run in order) + missed, "period_s": period,
                "send_jitter_s": SEND_JITTER_S, "messages": len(order),
                "latest_send_s": round(max(max(gaps, default=period) - period, 0.0), 3),  # beyond one period
                "sent_twice": sent_twice, "run_twice": run_twice, "missed": missed,
                "gaps_s": [round(g, 3) for g in gaps], "tail_s": round(end_wall - order[-1]["sent_wall"], 3),
                "beat_counts": [run["number"] for run in order], "count_restarts": count_restarts,
                "count_holes": never_ran,
                "delivery_s": {"min": round(delivery[0], 3), "median": round(delivery[len(delivery) // 2], 3),
                               "max": round(delivery[-1], 3)} if delivery else None}
