"""Generated scenarios: they round-trip through JSON, stay inside their bounds, and their fault
triggers are consistent with the trigger task's hold point. Version 1 scenario files still load."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import SCENARIO_VERSION, FaultEvent, Scenario
from chaos.scenario.strategies import (DURATIONS_S, HOLD_AFTER_FINISH_S, MAX_TASKS, PAUSES_S, TRIGGERS, scenarios,
                                       search_settings)

FAST = settings(max_examples=60, deadline=None)
FAULT_OR_NONE = st.sampled_from([None, "kill-worker", "kill-child", "restart-broker"])


@FAST
@given(st.data(), FAULT_OR_NONE)
def test_generated_scenarios_round_trip_through_json(data, fault):
    scenario = data.draw(scenarios(fault))
    text = json.dumps(scenario.to_json())
    assert Scenario.from_json(json.loads(text)) == scenario
    assert json.loads(text)["version"] == SCENARIO_VERSION


@FAST
@given(st.data(), FAULT_OR_NONE, st.booleans())
def test_generated_scenarios_respect_their_bounds(data, fault, crashes):
    scenario = data.draw(scenarios(fault, crashes=crashes))
    assert 1 <= len(scenario.tasks) <= MAX_TASKS
    assert [t.key for t in scenario.tasks] == [f"t{i}" for i in range(len(scenario.tasks))]
    for i, task in enumerate(scenario.tasks):
        assert task.duration_s in DURATIONS_S and 0 < task.duration_s <= 0.5
        assert 0 <= task.fail_times <= 3
        assert 0 <= task.crash_times <= (1 if crashes else 0)
        assert task.hold_after_finish_s in HOLD_AFTER_FINISH_S
        assert scenario.pause_before_s(i) in PAUSES_S and scenario.pause_before_s(i) <= 0.3
    assert len(scenario.faults) == (0 if fault is None else 1)


@FAST
@given(st.data(), st.sampled_from(["kill-worker", "restart-broker"]))
def test_fault_triggers_are_consistent_with_the_trigger_tasks_hold(data, fault):
    scenario = data.draw(scenarios(fault))
    (event,) = scenario.faults
    assert event.fault == fault and event.phase == "run"
    by_key = {t.key: t for t in scenario.tasks}
    trigger = by_key[event.at_key]
    assert (event.at_event, trigger.hold_at) in TRIGGERS
    if trigger.hold_at == "finish":  # must reach "succeeded" on its first attempt
        assert trigger.fail_times == trigger.crash_times == 0
    assert [t.key for t in scenario.tasks if t.hold_at] == [event.at_key]  # only the trigger holds


@FAST
@given(st.data())
def test_without_a_fault_nothing_holds(data):
    scenario = data.draw(scenarios(None))
    assert not scenario.faults and all(t.hold_at is None for t in scenario.tasks)


def test_version_1_files_still_load():
    v1 = {"version": 1, "name": "old", "tasks": [{"key": "t0", "duration_s": 0.2, "hold_at": "start"}],
          "faults": [{"fault": "kill-worker", "at_key": "t0", "at_event": "held", "phase": "run"}]}
    scenario = Scenario.from_json(v1)
    assert scenario.tasks == (TaskSpec(key="t0", duration_s=0.2, hold_at="start"),)
    assert scenario.faults == (FaultEvent("kill-worker", "t0"),) and scenario.pause_before_s(0) == 0.0


def test_unknown_versions_are_refused_with_the_ones_supported():
    with pytest.raises(ValueError, match="version 99 is not supported .*1, 2"):
        Scenario.from_json({"version": 99, "name": "x", "tasks": [], "faults": []})


def test_pauses_are_parallel_to_tasks_and_all_zero_is_no_pacing():
    tasks = (TaskSpec(key="a"), TaskSpec(key="b"))
    assert Scenario("s", tasks, pauses_s=(0.0, 0.0)) == Scenario("s", tasks)
    with pytest.raises(ValueError, match="1 pauses for 2 tasks"):
        Scenario("s", tasks, pauses_s=(0.1,))


def test_settings_profiles_size_the_search():
    quick, standard, deep = (search_settings(b) for b in ("quick", "standard", "deep"))
    assert quick.derandomize and quick.database is None  # CI: same examples every run
    assert quick.max_examples < standard.max_examples < deep.max_examples
    assert standard.database is not None and quick.deadline is None
    with pytest.raises(ValueError, match="unknown budget 'huge'"):
        search_settings("huge")
