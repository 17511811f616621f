"""The variations a chaos cell draws from: the simplest is the claim's canonical workload (what the
quick gate runs, and what shrinking returns to); the others keep the workload's structure; what a
variation differs in from the canonical workload, and the order "smallest" means; and the shrink cap,
a hard limit that still reports the smallest failure seen (on a target broken on purpose)."""

import json
from pathlib import Path

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from chaos.cell import parse_fault
from chaos.explore import explore
from chaos.judgement.claims import CLAIMS
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import Scenario
from chaos.scenario.strategies import search_settings
from chaos.scenario.variations import CELL_EXAMPLES, FIXED, MAX_EXTRA_TASKS, cell_strategy, differences, scenario_size
from chaos.scenario.workloads import BUDGETS, WORKLOADS

# every cell a claim is checked under (its declared faults), as (claim, fault name, phase)
CELLS = [(claim, *parse_fault(label)) for claim in WORKLOADS for label in CLAIMS[claim].faults]
# each cell under one budget, the budgets taken in turn: every budget is shrunk on a third of the cells
# (a find() shrinks for seconds: all cells x all budgets was 10 worker-minutes of the test command)
CELLS_IN_TURN = [(*cell, BUDGETS[i % len(BUDGETS)]) for i, cell in enumerate(CELLS)]


@pytest.mark.parametrize("claim,fault,phase,budget", CELLS_IN_TURN)
def test_the_simplest_variation_is_the_canonical_workload(claim, fault, phase, budget):
    assert find(cell_strategy(claim, fault, phase, budget), lambda s: True) == WORKLOADS[claim](fault, phase, budget)


@pytest.mark.parametrize("claim,fault,phase", CELLS)
def test_the_quick_budget_runs_the_canonical_workload_once(claim, fault, phase):
    seen = []

    @settings(search_settings("quick"), max_examples=CELL_EXAMPLES["quick"])
    @given(cell_strategy(claim, fault, phase, "quick"))
    def cell(scenario):
        seen.append(scenario)

    cell()
    assert seen == [WORKLOADS[claim](fault, phase, "quick")]


@settings(max_examples=80, deadline=None)
@given(st.data(), st.sampled_from([c for c in CELLS if c[0] not in FIXED]), st.sampled_from(BUDGETS))
def test_variations_keep_the_workloads_structure(data, cell, budget):
    claim, fault, phase = cell
    canonical = WORKLOADS[claim](fault, phase, budget)
    varied = data.draw(cell_strategy(claim, fault, phase, budget))
    assert varied.faults == canonical.faults and varied.name == canonical.name
    assert varied.actions == canonical.actions and varied.gates == canonical.gates
    n = len(canonical.tasks)
    assert n <= len(varied.tasks) <= n + MAX_EXTRA_TASKS
    triggers = {f.at_key for f in canonical.faults} | {a.at_key for a in canonical.actions} | \
        {a.key for a in canonical.actions if a.key}
    for before, after in zip(canonical.tasks, varied.tasks):
        assert after.key == before.key and after.fail_times == before.fail_times and after.hold_at == before.hold_at
        if before.key in triggers or before.hold_at:
            assert after == before  # the window a fault lands in is never varied
    assert all(t.fail_times == 0 and t.crash_times == 0 for t in varied.tasks[n:])


def test_differences_name_the_tasks_added_and_the_pauses_and_durations_changed():
    canonical = WORKLOADS["persistence"]("kill-worker", "run", "quick")
    tasks = list(canonical.tasks)
    tasks[2] = tasks[2].model_copy(update={"duration_s": 1.0})
    varied = canonical.varied(tasks=(*tasks, TaskSpec(key="x0", duration_s=0.1)),
                              pauses_s=tuple(0.3 if i == 1 else 0.0 for i in range(len(tasks) + 1)))
    diff = differences(varied, canonical)
    assert diff["count"] == 3 and not diff["same"]
    assert [a["key"] for a in diff["tasks_added"]] == ["x0"] and diff["tasks_removed"] == []
    assert diff["pauses"] == [{"key": "t1", "canonical_s": 0.0, "scenario_s": 0.3}]
    assert diff["durations"] == [{"key": "t2", "canonical_s": 0.5, "scenario_s": 1.0}]
    assert diff["words"] == "added x0 (0.1 s); t1 submitted after 0.3 s instead of 0.0 s; t2 runs 1.0 s instead of 0.5 s"
    same = differences(canonical, canonical)
    assert same["same"] and same["count"] == 0 and same["words"] == "the canonical workload itself"
    # smaller: fewer tasks first, then fewer differences from the canonical workload
    assert scenario_size(canonical, canonical) < scenario_size(varied, canonical)
    one_off = canonical.varied(tasks=tuple(tasks), pauses_s=())
    assert scenario_size(canonical, canonical) < scenario_size(one_off, canonical) < scenario_size(varied, canonical)


def test_the_shrink_cap_is_a_hard_limit_and_the_smallest_failure_seen_is_reported(tmp_path):
    """A planted drop (tests/test_quality.py) with a 1 s cap: the search stops at the first example
    that would start past the cap, says so, and reports the smallest of the failing examples it ran."""
    cap_s = 1.0
    result = explore("persistence", "none", "broken-drop", budget="quick", run_dir=tmp_path, seed_value=1,
                     max_examples=10, shrink_cap_s=cap_s, database_dir=None, echo=lambda line: None)
    assert result.found and result.cap_hit, result.examples
    ran = [e for e in result.examples if "verdict" in e]
    failing = [e for e in ran if e["verdict"].startswith("violated")]
    first = next(i for i, e in enumerate(ran) if e in failing)
    # after the first failure, only examples that started within the cap ran: here one (each takes seconds)
    after = ran[first + 1:]
    assert len(after) <= 1 and result.shrink_s <= cap_s + sum(e["duration_s"] for e in after) + 1.0
    record = json.loads((tmp_path / "explore.json").read_text())
    assert record["shrink_cap_hit"] and "shrink cap hit" in record["shrink_note"]
    assert record["failing_examples"] == len(failing) == result.failing_examples
    # the minimal is the smallest failing example run, and it is what the file holds
    assert Scenario.load(result.minimal_path) == result.minimal
    assert result.minimal_directory in {e["directory"] for e in failing}
    smallest = min((e for e in failing), key=lambda e: scenario_size(Scenario.load(Path(e["directory"]) / "scenario.json")))
    assert result.minimal_directory == smallest["directory"]
