"""The variations a chaos cell draws from: the simplest is the claim's canonical workload (what the
quick gate runs, and what shrinking returns to); the others keep the workload's structure."""

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from chaos.cell import parse_fault
from chaos.judgement.claims import CLAIMS
from chaos.scenario.strategies import search_settings
from chaos.scenario.variations import CELL_EXAMPLES, FIXED, MAX_EXTRA_TASKS, cell_strategy
from chaos.scenario.workloads import BUDGETS, WORKLOADS

# every cell a claim is checked under (its declared faults), as (claim, fault name, phase)
CELLS = [(claim, *parse_fault(label)) for claim in WORKLOADS for label in CLAIMS[claim].faults]


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("claim,fault,phase", CELLS)
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
