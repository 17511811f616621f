"""Each claim's canonical workload, sized by budget (``quick`` for CI, ``standard`` for the default
chaos run, ``deep``), registered by claim name in ``WORKLOADS``: ``builder(fault, phase, budget)``
where ``fault`` is a name in chaos.nemesis.FAULTS (or ``none``) and ``phase`` is run | submit.

- ``persistence``: one task held at its start (the fault strikes while it is held, so the fault
  lands while a task is running, by construction), plus tasks queued behind it or running beside it.
- ``retry``: tasks that fail transiently 1..3 times (the seed's ``max_retries=3``), and one control.
- ``scheduled``: tasks with a countdown (see :func:`scheduled`); Celery Beat ticks beside them.
"""

from __future__ import annotations

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import FaultEvent, Scenario

BUDGETS = ("quick", "standard", "deep")
# Tasks queued behind the held one. Never fewer than 4: with Celery's default prefetch (4 per
# prefork child) a full prefetch buffer leaves the consumer's connection idle, which decides how a
# connection reset is noticed (see expectations.toml, reset-peer-run). Every budget must give the
# gated cells the same shape, so that a verdict never depends on the budget.
_QUEUED = {"quick": 4, "standard": 4, "deep": 8}


def persistence(fault: str, phase: str, budget: str) -> Scenario:
    """The fault strikes while t0 is held at its start; in phase ``submit`` the other tasks are
    submitted after that, inside the fault's window."""
    tasks = [TaskSpec(key="t0", duration_s=0.2, hold_at="start")]
    tasks += [TaskSpec(key=f"t{i}", duration_s=0.5) for i in range(1, 1 + _QUEUED[budget])]
    event = FaultEvent(fault, at_key="t0", at_event="held", phase=phase)
    return Scenario(name=f"persistence-{fault}-{phase}", tasks=tuple(tasks), faults=(event,))


def retry(fault: str, phase: str, budget: str) -> Scenario:
    fails = {"quick": [1, 3], "standard": [1, 2, 3], "deep": [1, 2, 3, 1, 2, 3]}[budget]
    tasks = [TaskSpec(key="c0", duration_s=0.05)]
    tasks += [TaskSpec(key=f"f{i}", duration_s=0.05, fail_times=n) for i, n in enumerate(fails)]
    return Scenario(name="retry", tasks=tuple(tasks))


# Countdowns of the scheduled workload. Short, to keep the quick pass cheap — except one that must
# outlast the Celery profiles' visibility_timeout (5 s) plus one restore sweep (1 s): kombu's Redis
# transport counts an ETA message the worker holds unacked as due for redelivery after that long.
SHORT_COUNTDOWN_S = 2.0
PAST_VISIBILITY_COUNTDOWN_S = 8.0
STRUCK_BEFORE_DUE_COUNTDOWN_S = 5.0


def scheduled(fault: str, phase: str, budget: str) -> Scenario:
    """``none``: a short countdown and one past visibility_timeout. ``kill-worker``: a countdown task
    is accepted (and, for Celery, already held by the worker) first; then h0 holds at its start and
    the worker is killed there — before the countdown is due, by construction (the claim records
    ``fault_before_due``). ``kill-beat``: Beat is killed once its ticks have run, stays down for a few periods
    (chaos/nemesis/kill_beat.py), with a countdown task waiting."""
    if fault == "none":
        tasks = [TaskSpec(key="c0", duration_s=0.05, countdown_s=SHORT_COUNTDOWN_S),
                 TaskSpec(key="c1", duration_s=0.05, countdown_s=PAST_VISIBILITY_COUNTDOWN_S)]
        return Scenario(name="scheduled-none", tasks=tuple(tasks))
    if fault == "kill-beat":
        tasks = [TaskSpec(key="b0", duration_s=0.05), TaskSpec(key="c0", duration_s=0.05, countdown_s=SHORT_COUNTDOWN_S)]
        return Scenario(name="scheduled-kill-beat", tasks=tuple(tasks),
                        faults=(FaultEvent(fault, at_key="b0", at_event="returned", phase=phase),))
    # c0 must still be waiting when the worker dies: h0 starts and is struck within a second or two
    # of c0's submission, even on a loaded machine, so 5 s leaves room (recorded: fault_before_due).
    countdown = STRUCK_BEFORE_DUE_COUNTDOWN_S
    tasks = [TaskSpec(key="c0", duration_s=0.05, countdown_s=countdown),
             TaskSpec(key="h0", duration_s=0.05, hold_at="start")]
    return Scenario(name=f"scheduled-{fault}", tasks=tuple(tasks),
                    faults=(FaultEvent(fault, at_key="h0", at_event="held", phase=phase),))


WORKLOADS = {
    "persistence": persistence,
    "retry": retry,
    "scheduled": scheduled,
}
