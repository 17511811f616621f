"""Benchmark: the seed's section 7.2 throughput experiment, scaled down, on real servers.

The seed claims linear scaling: 1000 tasks of 1 s take 1000 s in one process, 250 s on 4 workers,
100 s on 10. This runs the ``throughput`` claim's workload (n tasks of 0.25 s, submitted in a burst)
for each profile over 1, 2 and 4 workers (Celery: N worker processes of concurrency 1; RQ: N
workers on the same queues; BackgroundTasks: the one app process, once), and writes
``bench/results/throughput.json``: per run, tasks/s over the processing time (first body started →
last returned; the makespan from the first submission is beside it), speedup against the serial
time n·d and against the measured 1-worker run, and efficiency = speedup / N (1.0 = the seed's
linear claim).
Every run keeps its evidence (ledger, history, logs) under ``reports/<stamp>-bench-throughput/``.

    uv run python bench/throughput.py [--budget standard|quick|deep] [--workers 1,2,4]
                                      [--profiles bgtasks,celery-default,rq-default]

A measurement, never a test: figures depend on the machine (the CPU count and load average are
recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chaos.cell import run_cell  # noqa: E402
from chaos.profile import get_profile  # noqa: E402
from chaos.report.versions import versions  # noqa: E402
from chaos.scenario.workloads import THROUGHPUT_DURATION_S, THROUGHPUT_TASKS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "throughput.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", default="standard", choices=sorted(THROUGHPUT_TASKS))
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--profiles", default="bgtasks,celery-default,rq-default")
    parser.add_argument("--reports", default=str(ROOT / "reports"))
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    run_dir = Path(args.reports) / (time.strftime("%Y%m%d-%H%M%S") + "-bench-throughput")
    runs = []
    for spec in args.profiles.split(","):
        profile = get_profile(spec)
        baseline = None
        for n in ([1] if profile.backend == "bgtasks" else counts):
            cell = run_cell("throughput", "none", spec, budget=args.budget, infra="process",
                            run_dir=run_dir, subdir=f"workers-{n}", needs={"workers": n})
            m = dict(cell.verdict.result.measurements)
            if not m:
                raise SystemExit(f"{spec} with {n} workers measured nothing: {cell.verdict.result.note}; "
                                 f"see {cell.directory}")
            baseline = baseline or (m["processing_s"] if n == 1 else None)
            m["speedup_vs_1_worker"] = round(baseline / m["processing_s"], 3) if baseline else None
            m["efficiency_vs_1_worker"] = round(baseline / m["processing_s"] / n, 3) if baseline else None
            runs.append({"profile": profile.id, "workers_asked": n, **m, "counts": cell.verdict.result.counts,
                         "evidence": str(cell.directory)})
            print(f"{profile.id:32} workers={n}: {m['tasks']} tasks processed in {m['processing_s']:.2f} s = "
                  f"{m['tasks_per_s']:.2f} tasks/s; speedup {m['speedup']:.2f} vs serial"
                  + (f", {m['speedup_vs_1_worker']:.2f} vs 1 worker" if m["speedup_vs_1_worker"] else "")
                  + f"; efficiency {m['efficiency']:.2f}; at most {m['max_parallel']} bodies at once", flush=True)
    result = {
        "experiment": "seed section 7.2, scaled down",
        "tasks": THROUGHPUT_TASKS[args.budget], "task_duration_s": THROUGHPUT_DURATION_S,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "platform": platform.platform(),
                    "note": "a shared machine: other runs compete for its CPUs; figures are not comparable across machines"},
        "versions": versions(), "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
