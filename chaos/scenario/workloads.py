"""Each claim's canonical workload, sized by budget (``quick`` for CI, ``standard`` for the default
chaos run, ``deep``), registered by claim name in ``WORKLOADS``: ``builder(fault, phase, budget)``
where ``fault`` is a name in chaos.nemesis.FAULTS (or ``none``) and ``phase`` is run | submit.

- ``persistence``: one task held at its start (the fault strikes while it is held, so the fault
  lands while a task is running, by construction), plus tasks queued behind it or running beside it.
- ``retry``: tasks that fail transiently 1..3 times (the seed's ``max_retries=3``), and one control.
- ``monitoring``: tasks that succeed before a held task, one that fails on every attempt, the held
  task (the fault strikes while it is held: everything before it has finished, everything after it
  waits), and tasks that succeed after it.
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


# Tasks that finish before the held one and after it; the same shape in every budget.
_MONITORED = {"quick": 2, "standard": 2, "deep": 4}
_ALWAYS_FAILS = 9  # more failures than any profile allows attempts: the task ends failed everywhere


def monitoring(fault: str, phase: str, budget: str) -> Scenario:
    n = _MONITORED[budget]
    tasks = [TaskSpec(key=f"a{i}", duration_s=0.1) for i in range(n)]
    tasks.append(TaskSpec(key="f0", duration_s=0.05, fail_times=_ALWAYS_FAILS))
    tasks.append(TaskSpec(key="t0", duration_s=0.2, hold_at="start" if fault != "none" else None))
    tasks += [TaskSpec(key=f"b{i}", duration_s=0.1) for i in range(n)]
    faults = () if fault == "none" else (FaultEvent(fault, at_key="t0", at_event="held", phase=phase),)
    return Scenario(name=f"monitoring-{fault}-{phase}", tasks=tuple(tasks), faults=faults)


WORKLOADS = {
    "persistence": persistence,
    "retry": retry,
    "monitoring": monitoring,
}
