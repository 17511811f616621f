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

``differences(scenario, canonical)``: what a scenario differs in from the canonical workload (tasks
added or removed, pauses and durations changed, any other field of a task, the events), as data and
in words — what a report shows beside a counterexample. ``scenario_size(scenario, canonical)``: the
order in which "smallest" is meant, the one shrinking walks: fewer tasks first, then fewer
differences from the canonical workload (when there is one), then simpler tasks.
"""

from __future__ import annotations

from hypothesis import strategies as st

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import Scenario
from chaos.scenario.workloads import WORKLOADS

__all__ = ["CELL_EXAMPLES", "CELL_SHRINK_CAP_S", "FIXED", "VARIED_DURATIONS_S", "VARIED_PAUSES_S", "MAX_EXTRA_TASKS",
           "cell_strategy", "differences", "scenario_size", "variations"]

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
# quick (the CI gate): the canonical workload only, no shrinking — the gate must be stable and cheap;
# what deeper searches found reaches it through the corpus (chaos/corpus.py), replayed first.
# The shrink cap is a hard limit: no example starts once it has passed since the first failure, so a
# search overruns it by at most one example's run time (chaos/explore.py).
CELL_EXAMPLES = {"quick": 1, "standard": 3, "deep": 10}
CELL_SHRINK_CAP_S = {"quick": 0.0, "standard": 60.0, "deep": 300.0}


def _task_words(spec: TaskSpec) -> str:
    bits = [f"{spec.duration_s} s"]
    bits += [f"fails {spec.fail_times}×"] if spec.fail_times else []
    bits += [f"crashes {spec.crash_times}×"] if spec.crash_times else []
    bits += [f"held at its {spec.hold_at}"] if spec.hold_at else []
    return f"{spec.key} ({', '.join(bits)})"


def differences(scenario: Scenario, canonical: Scenario) -> dict:
    """What ``scenario`` differs in from ``canonical``, task by task (tasks are matched by key):
    ``tasks_added``, ``tasks_removed``, ``pauses`` and ``durations`` changed, ``tasks_changed`` (any
    other field), ``events_changed`` (faults, client actions, gates), their ``count``, and ``words``."""
    before = {t.key: (i, t) for i, t in enumerate(canonical.tasks)}
    after = {t.key: (i, t) for i, t in enumerate(scenario.tasks)}
    added = [{"key": t.key, "duration_s": t.duration_s, "pause_before_s": scenario.pause_before_s(i),
              "words": _task_words(t)} for key, (i, t) in after.items() if key not in before]
    removed = [key for key in before if key not in after]
    pauses, durations, changed = [], [], []
    for key, (i, new) in after.items():
        if key not in before:
            continue
        j, old = before[key]
        if scenario.pause_before_s(i) != canonical.pause_before_s(j):
            pauses.append({"key": key, "canonical_s": canonical.pause_before_s(j), "scenario_s": scenario.pause_before_s(i)})
        if new.duration_s != old.duration_s:
            durations.append({"key": key, "canonical_s": old.duration_s, "scenario_s": new.duration_s})
        fields = {name: [getattr(old, name), getattr(new, name)] for name in type(new).model_fields
                  if name not in ("key", "duration_s") and getattr(old, name) != getattr(new, name)}
        if fields:
            changed.append({"key": key, "fields": fields})
    events = [name for name in ("faults", "actions", "gates") if getattr(scenario, name) != getattr(canonical, name)]
    words = [f"added {a['words']}" + (f" after a {a['pause_before_s']} s pause" if a["pause_before_s"] else "")
             for a in added]
    words += [f"removed {key}" for key in removed]
    words += [f"{p['key']} submitted after {p['scenario_s']} s instead of {p['canonical_s']} s" for p in pauses]
    words += [f"{d['key']} runs {d['scenario_s']} s instead of {d['canonical_s']} s" for d in durations]
    words += [f"{c['key']}: " + ", ".join(f"{name} {a} → {b}" for name, (a, b) in c["fields"].items()) for c in changed]
    words += [f"other {name}" for name in events]
    count = len(added) + len(removed) + len(pauses) + len(durations) + len(changed) + len(events)
    return {"count": count, "same": count == 0, "tasks_added": added, "tasks_removed": removed, "pauses": pauses,
            "durations": durations, "tasks_changed": changed, "events_changed": events,
            "words": "; ".join(words) if words else "the canonical workload itself"}


def scenario_size(scenario: Scenario, canonical: Scenario | None = None) -> tuple:
    """A sort key: the smaller, the simpler (see the module docstring)."""
    distance = differences(scenario, canonical)["count"] if canonical is not None else 0
    tasks = scenario.tasks
    return (len(tasks), len(scenario.faults) + len(scenario.actions), distance,
            sum(t.fail_times + t.crash_times for t in tasks), sum(1 for t in tasks if t.hold_after_finish_s),
            round(sum(t.duration_s for t in tasks), 6), round(sum(scenario.pause_before_s(i) for i in range(len(tasks))), 6))
