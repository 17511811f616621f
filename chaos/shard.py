"""Shards: a deterministic slice ``K/N`` of the selected chaos tests, so that N machines run one
suite and ``taskchaos merge`` joins their runs into one run that the gate judges whole.

The unit is a chaos test (one cell; its id is the pytest node id, e.g.
``tests/chaos/test_retry.py::test_retry[rq-default]``). Tests are split by measured duration:
``chaos/cell_durations.json`` holds seconds per test id and budget, refreshed from a run's
report.json (``taskchaos durations RUN``; every run records ``durations`` there). A test without a
measurement counts as the median. The split is greedy, longest first, each test to the lightest
shard (ties: fewer tests, then the lower shard); equal durations are ordered by test id. The same
selection and the same file give the same split on every machine.

A shard's run records, in report.json's ``selection.shard``, which shard it is, every test id
selected before sharding (``cells``), the ids it ran (``assigned``) and whether that selection was
the whole suite (``of``): what merge needs to tell a missing shard from a subset run.

``ShardHooks`` is the pytest side, registered by chaos/plugin.py: ``--chaos-shard K/N`` deselects
the other shards' tests after every other selection (-k, -m, --deselect), and every run times its
chaos tests (setup + call + teardown) into ``<run>/durations/<process>.json``.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).with_name("cell_durations.json")
DEFAULT_S = 10.0  # a test's weight when the file has no measurement at all


class ShardError(ValueError):
    """A ``K/N`` that is not a shard of the selection."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → (2, 4): shard K of N, 1 ≤ K ≤ N."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise ShardError(f"--chaos-shard {text!r}: write K/N, e.g. 1/4 (shard K of N)")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise ShardError(f"--chaos-shard {text}: K must be between 1 and N")
    return index, count


def load_durations(path: str | Path | None = None, budget: str = "quick") -> dict[str, float]:
    """Seconds per test id measured under ``budget`` (the quick table when that budget has none)."""
    path = Path(path or DURATIONS_FILE)
    if not path.exists():
        return {}
    try:
        tables = json.loads(path.read_text())["durations"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ShardError(f"{path}: not a durations file ({exc}); write one with `taskchaos durations RUN`") from exc
    return {k: float(v) for k, v in (tables.get(budget) or tables.get("quick") or {}).items()}


def weights(ids: list[str], durations: dict[str, float]) -> dict[str, float]:
    """Each id's measured seconds; the median of every measurement for those without one."""
    median = statistics.median(durations.values()) if durations else DEFAULT_S
    return {i: durations.get(i, median) for i in ids}


def assign(ids: list[str], durations: dict[str, float], count: int) -> list[list[str]]:
    """The ``count`` shards of ``ids``: longest first, each to the lightest shard (then the one with
    fewer tests, then the lower index). Every id lands in exactly one shard; each shard's list is sorted."""
    if count < 1:
        raise ShardError(f"{count} shards: need at least one")
    weight = weights(sorted(set(ids)), durations)
    shards: list[list[str]] = [[] for _ in range(count)]
    load = [0.0] * count
    for test_id in sorted(weight, key=lambda i: (-weight[i], i)):
        k = min(range(count), key=lambda s: (load[s], len(shards[s]), s))
        shards[k].append(test_id)
        load[k] += weight[test_id]
    return [sorted(s) for s in shards]


def shard_record(record: dict, shard: dict) -> dict:
    """A process's selection record (``{"subset", "why", "chaos_tests"}``, about the tests selected
    before sharding) as a shard's: a subset by itself, with what merge needs in ``shard``."""
    label = f"{shard['index']}/{shard['count']}"
    return {**record, "subset": True,
            "why": [*record["why"], f"shard {label}: {len(shard['assigned'])} of {len(shard['cells'])} selected chaos tests"],
            "shard": {"index": shard["index"], "count": shard["count"], "of": {"subset": record["subset"], "why": record["why"]},
                      "cells": shard["cells"], "assigned": shard["assigned"]}}


def read_durations(run_dir: Path) -> dict[str, float]:
    """The seconds each chaos test of a run took, from what every process of the run recorded."""
    found: dict[str, float] = {}
    for path in sorted(Path(run_dir).glob("durations/*.json")):
        found.update(json.loads(path.read_text()))
    return dict(sorted(found.items()))


def write_durations_file(reports: list[dict], path: str | Path | None = None) -> tuple[Path, int]:
    """Refresh the durations file from stored runs' report.json (their ``durations`` replace the
    file's for the same budget and test id; the rest is kept). Returns the path and how many ids were written."""
    path = Path(path or DURATIONS_FILE)
    data = json.loads(path.read_text()) if path.exists() else {}
    tables = data.get("durations") or {}
    written = 0
    for report in reports:
        measured = report.get("durations") or {}
        if not measured:
            raise ShardError(f"run {report.get('run_id')}: its report.json has no durations (written by runs since "
                             f"sharding was added)")
        table = tables.setdefault(report.get("budget") or "quick", {})
        table.update({k: round(float(v), 2) for k, v in measured.items()})
        written += len(measured)
    out = {"about": "seconds per chaos test (pytest node id) and budget, for --chaos-shard; refresh with "
                    "`taskchaos durations RUN...` from runs' report.json",
           "runs": sorted({*data.get("runs", []), *(r.get("run_id") for r in reports if r.get("run_id"))}),
           "durations": {budget: dict(sorted(t.items())) for budget, t in sorted(tables.items())}}
    path.write_text(json.dumps(out, indent=1) + "\n")
    return path, written


def cmd_durations(args) -> int:
    """``taskchaos durations RUN... [--out FILE]``: refresh the durations file from stored runs."""
    from chaos.gating import load_report

    try:
        path, written = write_durations_file([load_report(run)[1] for run in args.run_dirs], args.out)
    except ShardError as exc:
        print(f"taskchaos durations: {exc}", file=sys.stderr)
        return 2
    print(f"durations: {written} measurements written to {path}")
    return 0


class ShardHooks:
    """The pytest side (registered by chaos/plugin.py with the run's state and its chaos-test predicate)."""

    def __init__(self, config, state: dict, is_chaos, run_dir):
        self.config, self.state, self.is_chaos, self.run_dir = config, state, is_chaos, run_dir
        self.timed: set[str] = set()
        self.durations: dict[str, float] = {}
        option = config.getoption("--chaos-shard", None)
        try:
            self.shard = parse_shard(option) if option else None
        except ShardError as exc:
            raise pytest.UsageError(str(exc)) from None

    @pytest.hookimpl(trylast=True)  # after -k, -m and --deselect: the shard splits what they selected
    def pytest_collection_modifyitems(self, session, config, items):
        chaos_items = [item for item in items if self.is_chaos(item)]
        self.timed = {item.nodeid for item in chaos_items}
        if self.shard is None or not chaos_items:
            return
        index, count = self.shard
        ids = sorted(self.timed)
        if count > len(ids):
            raise pytest.UsageError(f"--chaos-shard {index}/{count}: only {len(ids)} chaos tests are selected; "
                                    f"split them into at most {len(ids)} shards")
        try:
            durations = load_durations(config.getoption("--chaos-durations", None), config.getoption("--chaos-budget"))
        except ShardError as exc:
            raise pytest.UsageError(str(exc)) from None
        mine = set(assign(ids, durations, count)[index - 1])
        deselected = [item for item in chaos_items if item.nodeid not in mine]
        self.state["shard"] = {"index": index, "count": count, "cells": ids, "assigned": sorted(mine),
                               "deselected": len(deselected), "paths": {Path(str(i.path)) for i in chaos_items}}
        self.timed = mine
        items[:] = [item for item in items if not self.is_chaos(item) or item.nodeid in mine]
        config.hook.pytest_deselected(items=deselected)

    def pytest_runtest_logreport(self, report):
        if report.nodeid not in self.timed:
            return
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            directory = self.run_dir() / "durations"
            directory.mkdir(exist_ok=True)
            name = getattr(self.config, "workerinput", {}).get("workerid", "main")
            tmp = directory / f".{name}-{os.getpid()}"
            tmp.write_text(json.dumps({k: round(v, 3) for k, v in sorted(self.durations.items())}))
            tmp.replace(directory / f"{name}.json")
