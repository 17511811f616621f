"""Hypothesis strategies that generate scenarios, and the settings profiles that size a search.

In a nutshell: ``scenarios(fault)`` draws 1..4 tasks (each a short body that may fail transiently,
crash once, or linger after finishing), a pause before each submission, and — unless the fault is
``None`` — one fault event triggered at a lifecycle point of one task:

- ``held`` with ``hold_at="start"``: the task has started and is blocked, so the fault lands while it
  runs;
- ``succeeded`` with ``hold_at="finish"``: the body finished but has not returned, so the backend has
  not acknowledged it yet.

Sizes are bounded so one example runs in seconds on real servers. Values are drawn from short
ordered lists whose first entry is the simplest (no duration, no pause), so shrinking walks toward
the plainest scenario that still breaks the claim; generation is biased toward the windows where
bugs live (bursts, the first task as the trigger so the others queue behind it).

Settings profiles (``search_settings(budget)``): ``quick`` (CI: derandomised, so no example
database — Hypothesis refuses both at once), ``standard`` (default) and ``deep`` (nightly), both
keeping their examples under ``reports/.hypothesis`` so that a failure found once is tried first
next time. Deadlines are off (a real-server example takes seconds by nature).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from chaos.cell_modules import CHECKOUT_CELLS, in_checkout
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import FaultEvent, Scenario

__all__ = ["BUDGETS", "DATABASE_DIR", "MAX_TASKS", "TRIGGERS", "scenarios", "search_settings"]

MAX_TASKS = 4
# First entry = the simplest: shrinking moves toward it. A body always takes at least 0.1 s, so "the
# next task is submitted while this one runs" is a window of 100 ms, not a race of a few
# milliseconds that a replay would lose (a first version started at 0 s and shrank to exactly such a race).
DURATIONS_S = (0.1, 0.2, 0.5)
PAUSES_S = (0.0, 0.05, 0.1, 0.3)
HOLD_AFTER_FINISH_S = (0.0, 0.1, 0.3)
MAX_FAIL_TIMES = 3
MAX_CRASH_TIMES = 1
# (ledger event that triggers the fault, where the trigger task holds so that the event opens a window)
TRIGGERS = (("held", "start"), ("succeeded", "finish"))

BUDGETS = ("quick", "standard", "deep")
# Where the standard and deep searches keep Hypothesis's examples: a checkout's reports/, or, with an
# installed wheel, the reports/ of the directory it runs from (never inside site-packages).
DATABASE_DIR = (CHECKOUT_CELLS.parents[1] if in_checkout() else Path.cwd()) / "reports" / ".hypothesis"
# No explain or target phase: each would run many more examples on real servers.
SEARCH_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
_MAX_EXAMPLES = {"quick": 3, "standard": 8, "deep": 40}


@st.composite
def _task_plan(draw, crashes: bool) -> dict:
    """One task's shape, without its key (keys follow the position, so shrinking keeps them tidy)."""
    return {
        "duration_s": draw(st.sampled_from(DURATIONS_S)),
        # mostly well-behaved tasks: a task asking for more failures than the profile allows attempts is
        # outside the persistence claim, and a scenario made only of those proves nothing
        "fail_times": draw(st.one_of(st.just(0), st.integers(0, MAX_FAIL_TIMES))),
        "crash_times": draw(st.one_of(st.just(0), st.integers(0, MAX_CRASH_TIMES))) if crashes else 0,
        "hold_after_finish_s": draw(st.sampled_from(HOLD_AFTER_FINISH_S)),
        # a burst (no pause) half the time: queued work is where acknowledgement bugs show
        "pause_before_s": draw(st.one_of(st.just(0.0), st.sampled_from(PAUSES_S))),
    }


@st.composite
def scenarios(draw, fault: str | None = None, phase: str = "run", *, crashes: bool = True,
              max_tasks: int = MAX_TASKS, name: str | None = None) -> Scenario:
    """Scenarios for one fault (a name in ``chaos.nemesis.FAULTS``, or None for no fault).

    ``crashes``: whether tasks may crash their process; pass False when the executor is the app
    itself (BackgroundTasks), where a crash would take the whole target down before the fault."""
    if not 1 <= max_tasks <= MAX_TASKS:
        raise ValueError(f"max_tasks={max_tasks}: expected 1..{MAX_TASKS} (one example must run in seconds)")
    plans = draw(st.lists(_task_plan(crashes), min_size=1, max_size=max_tasks))
    specs = [TaskSpec(key=f"t{i}", duration_s=p["duration_s"], fail_times=p["fail_times"],
                      crash_times=p["crash_times"], hold_after_finish_s=p["hold_after_finish_s"])
             for i, p in enumerate(plans)]
    faults: tuple[FaultEvent, ...] = ()
    if fault is not None:
        # the first task as the trigger half the time: the others then queue behind a held task
        index = draw(st.one_of(st.just(0), st.integers(0, len(specs) - 1)))
        at_event, hold_at = draw(st.sampled_from(TRIGGERS))
        update: dict = {"hold_at": hold_at}
        if hold_at == "finish":  # the trigger must reach "succeeded" on its first attempt, whatever the backend
            update |= {"fail_times": 0, "crash_times": 0}
        specs[index] = specs[index].model_copy(update=update)
        faults = (FaultEvent(fault, at_key=specs[index].key, at_event=at_event, phase=phase),)
    label = name or f"generated-{fault or 'none'}"
    return Scenario(name=label, tasks=tuple(specs), faults=faults,
                    pauses_s=tuple(p["pause_before_s"] for p in plans))


def _register() -> None:
    common = dict(deadline=None, phases=SEARCH_PHASES, report_multiple_bugs=False, print_blob=False,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    settings.register_profile("taskchaos-quick", max_examples=_MAX_EXAMPLES["quick"], derandomize=True, **common)
    for budget in ("standard", "deep"):
        settings.register_profile(f"taskchaos-{budget}", max_examples=_MAX_EXAMPLES[budget],
                                  database=DirectoryBasedExampleDatabase(str(DATABASE_DIR)), **common)


def search_settings(budget: str) -> settings:
    """The Hypothesis settings of a chaos search with this budget (quick, standard, deep)."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    return settings.get_profile(f"taskchaos-{budget}")


_register()
