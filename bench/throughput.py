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
    uv run python bench/throughput.py --full     # the seed's size: 1000 tasks of 1 s on 4 and 10 workers

``--full`` runs the experiment at the seed's own size (section 7.2: "4 workers: 250 s; 10 workers:
100 s"): 1000 tasks of 1 s, on 4 and on 10 workers for Celery and RQ, and the 1000 tasks in the one
BackgroundTasks app process (bodies that sleep, as every body here does: a sync background task runs
in Starlette's thread pool, so sleeping bodies overlap there), and writes
``bench/results/throughput-full.json`` with the seed's figure beside each measured one.

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
from chaos.records.taskspec import TaskSpec  # noqa: E402
from chaos.scenario.model import Scenario  # noqa: E402
from chaos.scenario.workloads import THROUGHPUT_DURATION_S, THROUGHPUT_TASKS  # noqa: E402

FULL_TASKS, FULL_DURATION_S = 1000, 1.0
SEED_SECONDS = {1: 1000.0, 4: 250.0, 10: 100.0}  # the seed's section 7.2: 1000 tasks of 1 s

RESULTS = Path(__file__).resolve().parent / "results" / "throughput.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", default="standard", choices=sorted(THROUGHPUT_TASKS))
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--profiles", default="bgtasks,celery-default,rq-default")
    parser.add_argument("--reports", default=str(ROOT / "reports"))
    parser.add_argument("--full", action="store_true", help="the seed's size: 1000 tasks of 1 s on 4 and 10 workers")
    args = parser.parse_args()
    if args.full and args.workers == "1,2,4":
        args.workers = "4,10"
    counts = [int(n) for n in args.workers.split(",")]
    scenario = None
    if args.full:
        scenario = Scenario(name="throughput-full", tasks=tuple(
            TaskSpec(key=f"n{i:04d}", duration_s=FULL_DURATION_S) for i in range(FULL_TASKS)))
    run_dir = Path(args.reports) / (time.strftime("%Y%m%d-%H%M%S") + "-bench-throughput" + ("-full" if args.full else ""))
    runs = []
    for spec in args.profiles.split(","):
        profile = get_profile(spec)
        baseline = None
        for n in ([1] if profile.backend == "bgtasks" else counts):
            started = time.monotonic()
            cell = run_cell("throughput", "none", spec, budget=args.budget, infra="process",
                            run_dir=run_dir, subdir=f"workers-{n}", needs={"workers": n}, scenario=scenario)
            m = dict(cell.verdict.result.measurements)
            if not m:
                raise SystemExit(f"{spec} with {n} workers measured nothing: {cell.verdict.result.note}; "
                                 f"see {cell.directory}")
            baseline = baseline or (m["processing_s"] if n == 1 else None)
            m["speedup_vs_1_worker"] = round(baseline / m["processing_s"], 3) if baseline else None
            m["efficiency_vs_1_worker"] = round(baseline / m["processing_s"] / n, 3) if baseline else None
            if args.full:
                executors = 1 if profile.backend == "bgtasks" else n
                m["seed_s"] = SEED_SECONDS.get(executors)
                m["vs_seed"] = round(m["processing_s"] / m["seed_s"], 3) if m["seed_s"] else None
            runs.append({"profile": profile.id, "workers_asked": n, **m, "counts": cell.verdict.result.counts,
                         "cell_wall_s": round(time.monotonic() - started, 1), "phases": cell.phases,
                         "evidence": str(cell.directory)})
            print(f"{profile.id:32} workers={n}: {m['tasks']} tasks processed in {m['processing_s']:.2f} s = "
                  f"{m['tasks_per_s']:.2f} tasks/s; speedup {m['speedup']:.2f} vs serial"
                  + (f", {m['speedup_vs_1_worker']:.2f} vs 1 worker" if m["speedup_vs_1_worker"] else "")
                  + f"; efficiency {m['efficiency']:.2f}; at most {m['max_parallel']} bodies at once", flush=True)
    result = {
        "experiment": "seed section 7.2, at its size" if args.full else "seed section 7.2, scaled down",
        "tasks": FULL_TASKS if args.full else THROUGHPUT_TASKS[args.budget],
        "task_duration_s": FULL_DURATION_S if args.full else THROUGHPUT_DURATION_S,
        "seed_s": SEED_SECONDS if args.full else None,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "platform": platform.platform(),
                    "note": "a shared machine: other runs compete for its CPUs; figures are not comparable across machines"},
        "versions": versions(), "runs": runs,
    }
    out = RESULTS.with_name("throughput-full.json") if args.full else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
