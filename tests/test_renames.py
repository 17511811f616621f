"""Renamed faults (chaos/renames.py): an old name — in a scenario file, an expectations file, a stored
run's report.json — still means the same cell, and a file with both names is refused."""

from __future__ import annotations

import json

import pytest

from chaos.gating import load_report
from chaos.judgement.expectations import ExpectationError, Expectations
from chaos.nemesis import FAULTS, fault_labels
from chaos.renames import FAULT_RENAMES, current_cell, current_fault
from chaos.scenario.model import Scenario


def test_every_old_name_maps_to_a_fault_that_exists():
    for old, new in FAULT_RENAMES.items():
        assert old not in FAULTS and new in FAULTS
    assert current_fault("redis-down-run") == "broker-down-run" and "broker-down-run" in fault_labels()
    assert current_fault("kill-worker") == "kill-worker"
    assert current_cell("persistence/kill-redis/rq-default@rdb [docker]") == "persistence/kill-broker/rq-default@rdb [docker]"


def test_an_old_scenario_file_replays_the_renamed_fault(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"version": 3, "name": "old", "tasks": [{"key": "t0", "duration_s": 0.2, "hold_at": "start"}],
                                "faults": [{"fault": "restart-redis", "at_key": "t0", "at_event": "held", "phase": "run"}]}))
    assert Scenario.load(path).faults[0].fault == "restart-broker"


def test_an_old_expectations_file_means_the_same_cells(tmp_path):
    path = tmp_path / "expectations.toml"
    path.write_text('[persistence.kill-redis]\nrq-default = { none = "violated" }\n'
                    '[persistence.redis-down-run]\nrq-default = "holds"\n')
    expectations = Expectations(path, faults=["none", *fault_labels()])
    assert expectations.expected("persistence", "kill-broker", "rq-default", "none") == "violated"
    assert expectations.expected("persistence", "broker-down-run", "rq-default", "aof-everysec") == "holds"


def test_an_expectations_file_with_both_names_is_refused(tmp_path):
    path = tmp_path / "expectations.toml"
    path.write_text('[persistence.kill-redis]\nrq-default = "holds"\n[persistence.kill-broker]\nrq-default = "holds"\n')
    with pytest.raises(ExpectationError, match=r"expectations.toml:\d+: \[persistence.kill-redis\] is the old name"):
        Expectations(path)


def test_a_stored_run_reads_with_the_new_names(tmp_path):
    verdict = {"cell": "persistence/kill-redis/rq-default@rdb", "claim": "persistence", "fault": "kill-redis",
               "profile": "rq-default", "persistence": "rdb", "verdict": "violated", "short": "violated 5/6"}
    (tmp_path / "report.json").write_text(json.dumps({"verdicts": [verdict], "cells": [{"cell": verdict["cell"], "verdict": dict(verdict)}]}))
    _, report = load_report(tmp_path)
    assert report["verdicts"][0]["fault"] == "kill-broker"
    assert report["cells"][0]["cell"] == report["cells"][0]["verdict"]["cell"] == "persistence/kill-broker/rq-default@rdb"
