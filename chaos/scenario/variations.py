"""Variations of a claim's canonical workload: the Hypothesis strategy that tests/chaos draws from.

In a nutshell: ``variations(workload)`` keeps the workload's structure (its trigger task, holds,
faults, cancel or schedule events, keys) and varies what a real system should not care about: the
pause before each submission, the duration of each task that is not a trigger, and a few plain tasks
appended at the end. Every choice lists the canonical value first, so **the simplest example is the
canonical workload itself**: Hypothesis draws it first (derandomised, ``max_examples=1`` in the quick
budget, that is the one the CI gate runs) and shrinks back toward it, so a counterexample found by a
variation is reported as its smallest distance from the canonical shape.

``cell_strategy(claim, fault, budget)``: the variations of ``WORKLOADS[claim]`` for one cell.
Workloads whose shape *is* the measurement (``FIXED``: throughput counts tasks per second over a set
number of tasks) are drawn as they are.
"""

from __future__ import annotations

from hypothesis import strategies as st

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import Scenario
from chaos.scenario.workloads import WORKLOADS

__all__ = ["FIXED", "VARIED_DURATIONS_S", "VARIED_PAUSES_S", "MAX_EXTRA_TASKS", "cell_strategy", "variations"]

VARIED_PAUSES_S = (0.05, 0.3)  # after the canonical pause
VARIED_DURATIONS_S = (0.1, 1.0)  # after the canonical duration
MAX_EXTRA_TASKS = 2
FIXED = frozenset({"throughput"})


def _choices(canonical: float, others: tuple[float, ...]) -> st.SearchStrategy[float]:
    return st.sampled_from((canonical, *[o for o in others if o != canonical]))


def _triggers(workload: Scenario) -> set[str]:
    keys = {f.at_key for f in workload.faults}
    for action in workload.actions:  # client actions (cancel, status reads) and the tasks they aim at
        keys |= {action.at_key, action.key} - {None}
    return keys | {gate.after_key for gate in workload.gates}  # the submissions a gate waits for


@st.composite
def variations(draw, workload: Scenario) -> Scenario:
    triggers = _triggers(workload)
    tasks, pauses = [], []
    for index, spec in enumerate(workload.tasks):
        pauses.append(draw(_choices(workload.pause_before_s(index), VARIED_PAUSES_S)))
        if spec.key in triggers or spec.hold_at:  # the windows the faults land in stay as they are
            tasks.append(spec)
        else:
            tasks.append(spec.model_copy(update={"duration_s": draw(_choices(spec.duration_s, VARIED_DURATIONS_S))}))
    extra = draw(st.lists(st.sampled_from(VARIED_DURATIONS_S), max_size=MAX_EXTRA_TASKS))
    for number, duration in enumerate(extra):
        tasks.append(TaskSpec(key=f"x{number}", duration_s=duration))
        pauses.append(0.0)
    return workload.varied(tasks=tuple(tasks), pauses_s=tuple(pauses))


def cell_strategy(claim: str, fault: str, phase: str, budget: str) -> st.SearchStrategy[Scenario]:
    """What a chaos cell draws its scenarios from (``fault``: a fault name or ``none``)."""
    builder = WORKLOADS.get(claim)
    if builder is None:
        raise KeyError(f"no workload for claim {claim!r} in chaos/scenario/workloads.py")
    workload = builder(fault, phase, budget)
    return st.just(workload) if claim in FIXED else variations(workload)


# What one chaos cell (pytest tests/chaos, taskchaos run) explores per budget, on top of the budget's
# Hypothesis settings profile: how many scenarios it runs, and how long it may shrink a violation.
# quick (the CI gate): the canonical workload only, no shrinking — the gate must be stable and cheap.
CELL_EXAMPLES = {"quick": 1, "standard": 3, "deep": 10}
CELL_SHRINK_CAP_S = {"quick": 0.0, "standard": 60.0, "deep": 300.0}
