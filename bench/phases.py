"""Benchmark: where a chaos run's wall time goes, from what stored runs recorded.

Not a test: it reads run directories (``reports/<run>``) and writes no verdict. Every cell's
``cell.json`` records its wall time by phase (``phases``: up — the servers started and ready;
workload; drain — heal and wait for every task to settle, at least the profile's recovery window;
down; judgement), and ``report.json`` the run's start and end. For each run this writes:

- the run's wall time, the sum of the cells' times, and the worker-seconds they leave unexplained
  (``--workers`` × wall − Σ cells: collection, interpreter start of the workers, report writing,
  and the time workers sat idle at the end);
- the phases summed over all cells, over each broker kind and each profile, with their share;
- the 10 slowest cells with their phases.

    uv run python bench/phases.py reports/latest [RUN_DIR ...] [--workers 6] [--output bench/results/phases.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

PHASES = ("up", "workload", "drain", "down", "judgement")
DEFAULT_OUTPUT = Path(__file__).with_name("results") / "phases.json"


def _seconds(start: str, end: str) -> float:
    parse = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _cells(run_dir: Path) -> list[dict]:
    """The decisive cell.json of each cell (the one beside its examples), with phases."""
    cells = []
    for path in sorted(run_dir.glob("cells/*/cell.json")):
        data = json.loads(path.read_text())
        examples = sorted(path.parent.glob("example-*/cell.json"))
        # a cell's time is all of its examples' (corpus replays and search included)
        phases = defaultdict(float)
        duration = 0.0
        for example in examples:
            one = json.loads(example.read_text())
            duration += float(one.get("duration_s", 0.0))
            for name, seconds in (one.get("phases") or {}).items():
                phases[name] += float(seconds)
        cells.append({"cell": data["cell"], "examples": len(examples), "duration_s": round(duration, 3),
                      "phases": {k: round(v, 3) for k, v in phases.items()}})
    return cells


def _sum(cells: list[dict]) -> dict:
    total = defaultdict(float)
    for cell in cells:
        for name, seconds in cell["phases"].items():
            total[name] += seconds
    whole = sum(total.values()) or 1.0
    return {name: {"s": round(total[name], 1), "share": round(total[name] / whole, 3)} for name in PHASES if name in total}


def summarise(run_dir: Path, workers: int) -> dict:
    report = json.loads((run_dir / "report.json").read_text())
    profiles = report.get("profiles") or {}
    cells = _cells(run_dir)
    wall = _seconds(report["started"], report["finished"])
    in_cells = sum(c["duration_s"] for c in cells)
    by_kind, by_profile = defaultdict(list), defaultdict(list)
    for cell in cells:
        profile = cell["cell"].split("/")[2].split("@")[0]
        by_profile[profile].append(cell)
        by_kind[(profiles.get(profile) or {}).get("broker") or "none"].append(cell)
    return {
        "run": str(run_dir), "run_id": report.get("run_id"), "budget": report.get("budget"),
        "git_revision": report.get("git_revision"), "cells": len(cells),
        "examples": sum(c["examples"] for c in cells), "wall_s": wall, "workers": workers,
        "cells_s": round(in_cells, 1),
        "outside_cells_worker_s": round(workers * wall - in_cells, 1),
        "phases": _sum(cells),
        "by_broker_kind": {kind: {"cells": len(group), "s": round(sum(c["duration_s"] for c in group), 1),
                                  "phases": _sum(group)} for kind, group in sorted(by_kind.items())},
        "by_profile": {name: {"cells": len(group), "s": round(sum(c["duration_s"] for c in group), 1),
                              "mean_up_s": round(sum(c["phases"].get("up", 0) for c in group) / len(group), 1)}
                       for name, group in sorted(by_profile.items())},
        "slowest": sorted(cells, key=lambda c: -c["duration_s"])[:10],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path)
    parser.add_argument("--workers", type=int, default=6, help="pytest-xdist workers the runs had (default 6)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    runs = [summarise(d.resolve(), args.workers) for d in args.run_dirs]
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
              "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()}, "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for run in runs:
        shares = ", ".join(f"{k} {v['s']:.0f} s ({v['share']:.0%})" for k, v in run["phases"].items())
        print(f"{run['run_id']}: {run['cells']} cells in {run['wall_s']:.0f} s wall; cells {run['cells_s']:.0f} s "
              f"({shares}); {run['outside_cells_worker_s']:.0f} worker-s outside cells")
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
