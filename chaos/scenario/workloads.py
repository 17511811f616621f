"""Each claim's canonical workload, sized by budget (``quick`` for CI, ``standard`` for the default
chaos run, ``deep``), registered by claim name in ``WORKLOADS``: ``builder(fault, phase, budget)``
where ``fault`` is a name in chaos.nemesis.FAULTS (or ``none``) and ``phase`` is run | submit.

- ``persistence``: one task held at its start (the fault strikes while it is held, so the fault
  lands while a task is running, by construction), plus tasks queued behind it or running beside it.
- ``retry``: tasks that fail transiently 1..3 times (the seed's ``max_retries=3``), and one control.
- ``priority``: t0 (no priority) held at its start on the single worker; a gate submits the backlog
  of mixed priorities only once t0 is held, so it queues up behind t0 by construction; the fault
  (kill-worker) strikes while t0 is held and the backlog waits.
- ``distributed``: t0 held at its start (the trigger of kill-worker) and tasks beside it, for two workers.
- ``throughput``: n tasks of 0.25 s submitted in a burst (section 7.2 of the seed, scaled down).
"""

from __future__ import annotations

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import FaultEvent, Gate, Scenario

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


# Backlog priorities in submission order. The first is the lowest: a worker that reserves the first
# arrival ahead (Celery's early ack frees its prefetch slot while t0 runs) starts it before every
# higher one; and when that worker is killed, the reserved task comes back (visibility_timeout) at
# a moment that depends on timing, but as the lowest it can skip no one, so the verdict does not.
_PRIORITIES = (0, 6, 9, 3, 7, 1, 8, 4)


def _held_first(fault: str, phase: str) -> tuple[TaskSpec, tuple[FaultEvent, ...]]:
    t0 = TaskSpec(key="t0", duration_s=0.2, hold_at="start")
    return t0, (() if fault == "none" else (FaultEvent(fault, at_key="t0", at_event="held", phase=phase),))


def priority(fault: str, phase: str, budget: str) -> Scenario:
    """Under a fault, it strikes while t0 is held and the backlog waits (phase ``run``)."""
    t0, faults = _held_first(fault, phase)
    levels = _PRIORITIES * (2 if budget == "deep" else 1)
    tasks = [t0] + [TaskSpec(key=f"p{i}", duration_s=0.2, priority=p) for i, p in enumerate(levels)]
    return Scenario(name=f"priority-{fault}", tasks=tuple(tasks), faults=faults, gates=(Gate("t0", "held"),))


def distributed(fault: str, phase: str, budget: str) -> Scenario:
    t0, faults = _held_first(fault, phase)
    n = {"quick": 8, "standard": 8, "deep": 16}[budget]
    tasks = [t0] + [TaskSpec(key=f"d{i}", duration_s=0.3) for i in range(n)]
    return Scenario(name=f"distributed-{fault}", tasks=tuple(tasks), faults=faults, gates=(Gate("t0", "held"),))


THROUGHPUT_TASKS = {"quick": 12, "standard": 40, "deep": 100}
THROUGHPUT_DURATION_S = 0.25


def throughput(fault: str, phase: str, budget: str) -> Scenario:
    if fault != "none":
        raise ValueError(f"throughput is measured without faults, not under {fault}")
    tasks = [TaskSpec(key=f"n{i:03d}", duration_s=THROUGHPUT_DURATION_S) for i in range(THROUGHPUT_TASKS[budget])]
    return Scenario(name=f"throughput-{budget}", tasks=tuple(tasks))


WORKLOADS = {
    "persistence": persistence,
    "retry": retry,
    "priority": priority,
    "distributed": distributed,
    "throughput": throughput,
}
