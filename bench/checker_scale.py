"""Benchmark: how the checker scales with the size of the history and the ledger.

Not a test: it measures time and memory, and only checks that the outcomes come out as the generator
planned them (so a fast wrong checker cannot look good). For each size (ledger records, default
10^4, 10^5, 10^6) it:

1. generates, in a child process, a synthetic run the way a real one leaves it on disk: one ledger
   file ``<pid>.jsonl`` per fake writer in the LedgerRecord JSON format (each file in its writer's
   time order, the files interleaved in time), a torn last line in some files, and the client's
   history (submissions ok / fail / info / no completion, status reads, final statuses, fault
   windows) as JSON lines, plus the task specs. The tasks mix every outcome: ok, requested retries,
   redeliveries after a fault, duplicates, overlapping attempts, lost, stuck, failed,
   status-mismatch, phantom, rejected, indeterminate and info submissions that ran, and a few
   ledger keys no spec names;
2. measures, in a fresh child process (so peak memory is the checker's own): loading the specs and
   ``History.load`` (setup), then ``read_ledger``, ``check`` and the ``persistence`` claim's
   ``judge`` (through ``chaos.judgement.claims.CLAIMS``), each timed on its own, with the peak RSS
   (``resource.getrusage`` ``ru_maxrss``) after each phase.

It writes ``bench/results/checker_scale.json``: per size the counts, seconds per phase, ledger
records per second, peak MB, and whether the outcome counts matched the plan; with the Python
version, the machine and the date. ``--code DIR`` imports the ``chaos`` package from another tree
(e.g. ``git archive`` of an older commit) to measure the code before a change; ``--timeout-s``
bounds each measurement (a timed-out size is recorded as such).

    uv run python bench/checker_scale.py [--sizes 10000,100000,1000000] [--code DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "checker_scale.json"
GOAL_S = 10.0  # 10^6 ledger records read and checked in 10 s or less (issue 14)
PROFILE = "rq-retry"  # 4 attempts: requested retries and redeliveries both happen
MAX_ATTEMPTS = 4
BACKEND = "bench"

# category: (weight, outcome the checker must decide). Weights are relative, per task.
CATEGORIES = {
    "ok": (60, "ok"),
    "retry-requested": (8, "retried"),
    "redelivered": (5, "retried"),
    "duplicated": (3, "duplicated"),
    "overlapping": (2, "duplicated"),
    "lost": (3, "lost"),
    "stuck": (2, "stuck"),
    "failed": (2, "failed"),
    "status-mismatch": (2, "status-mismatch"),
    "info-ran": (4, "ok"),
    "info-not-run": (3, "indeterminate"),
    "no-completion": (1, "indeterminate"),
    "rejected": (3, "rejected"),
    "phantom": (1, "phantom"),
}
STRAY_EVERY = 500  # one run of a key no spec names (e.g. a periodic tick) per this many tasks
TORN_EVERY = 3  # one writer file in this many ends with a torn line
FAULTS = 20


def _record(key: str, attempt: int, event: str, pid: int, mono: float, detail: dict | None = None) -> dict:
    return {"key": key, "task_id": f"id-{key}", "attempt": attempt, "event": event, "pid": pid, "backend": BACKEND,
            "wall": 1_700_000_000.0 + mono, "mono": mono, "detail": detail or {}}


def generate(size: int, directory: Path, seed: int) -> dict:
    """Write ``ledger/<pid>.jsonl``, ``history.jsonl`` and ``specs.jsonl`` holding about ``size`` ledger
    records; return the plan (what the checker must find)."""
    rng = random.Random(seed)
    names = list(CATEGORIES)
    weights = [CATEGORIES[n][0] for n in names]
    writers = max(8, size // 20_000)  # worker processes (pids) that wrote the ledger
    pids = [10_000 + i for i in range(writers)]
    by_pid: dict[int, list[dict]] = {pid: [] for pid in pids}
    history: list[dict] = []
    specs: list[dict] = []
    expected: Counter = Counter()
    persistence_violations = 0
    persistence_relevant = 0
    records = 0
    t = 10.0  # the run's monotonic clock
    fault_times: list[float] = []
    tasks = 0

    def op(kind, type_, key, mono, **data):
        history.append({"kind": kind, "type": type_, "key": key, "mono": mono, "wall": 1_700_000_000.0 + mono,
                        "data": data})

    def ran(key, attempt, events, start, step=0.05, pid=None, executor=True):
        nonlocal records
        pid = pid or rng.choice(pids)
        for i, event in enumerate(events):
            detail = {"executor": f"worker-{pid}"} if event == "started" and executor else {}
            by_pid[pid].append(_record(key, attempt, event, pid, round(start + i * step, 6), detail))
        records += len(events)
        return start + len(events) * step

    while records < size:
        tasks += 1
        key = f"t{tasks:07d}"
        category = rng.choices(names, weights)[0]
        expected[CATEGORIES[category][1]] += 1
        spec = {"key": key}
        if category == "retry-requested":
            spec["fail_times"] = 1
        if category == "failed":
            spec["fail_times"] = MAX_ATTEMPTS + 1
        specs.append(spec)
        if category not in ("failed",):  # every other spec asks for fewer failures than the attempts allowed
            persistence_relevant += category not in ("rejected", "phantom", "info-ran", "info-not-run", "no-completion")
            persistence_violations += category in ("lost", "stuck")
        t += rng.uniform(0.0005, 0.0015)
        start = t + 0.02
        # the submission
        op("submit", "invoke", key, round(t, 6), spec=spec)
        if category in ("rejected", "phantom"):
            op("submit", "fail", key, round(t + 0.01, 6), status=422, error="rejected")
        elif category in ("info-ran", "info-not-run"):
            op("submit", "info", key, round(t + 0.01, 6), error="timeout")
        elif category != "no-completion":
            op("submit", "ok", key, round(t + 0.01, 6), id=f"id-{key}", status=202)
        # what the bodies did (the ledger)
        final = "succeeded"
        if category in ("ok", "status-mismatch", "info-ran", "phantom"):
            ran(key, 1, ("started", "succeeded", "returned"), start)
            final = "pending" if category == "status-mismatch" else "succeeded"
        elif category == "retry-requested":
            end = ran(key, 1, ("started", "failed"), start)
            ran(key, 2, ("started", "succeeded", "returned"), end + 0.01)
        elif category == "redelivered":
            ran(key, 1, ("started",), start)  # cut off: its worker was killed
            fault_times.append(start + 0.01)
            ran(key, 2, ("started", "succeeded", "returned"), start + 0.2)
        elif category == "duplicated":
            end = ran(key, 1, ("started", "succeeded", "returned"), start)
            ran(key, 2, ("started", "succeeded", "returned"), end + 0.01)
        elif category == "overlapping":  # attempt 2 starts while attempt 1 still runs
            ran(key, 1, ("started", "succeeded", "returned"), start, step=0.1)
            ran(key, 2, ("started", "crashing"), start + 0.05, step=0.1)
        elif category == "stuck":
            ran(key, 1, ("started",), start)
            final = "running"
        elif category == "failed":
            at = start
            for attempt in range(1, MAX_ATTEMPTS + 1):
                at = ran(key, attempt, ("started", "failed"), at) + 0.01
            final = "failed"
        elif category in ("lost", "rejected", "info-not-run", "no-completion"):
            final = "pending"
        if category == "lost":
            final = "unknown"
        if rng.random() < 0.1:  # a status read while it was queued
            op("status", "ok", key, round(t + 0.015, 6), state="pending", raw_state="queued", supported=True)
        if category not in ("rejected", "phantom", "no-completion"):
            op("status", "ok", key, 0.0, final=True, state=final, raw_state=final, supported=True)  # mono set below
        if tasks % STRAY_EVERY == 0:
            ran(f"beat-{tasks}-{int(t * 1000)}", 1, ("started", "succeeded", "returned"), start)
    end = t + 5.0
    for op_ in history:  # final status reads come after quiescence
        if op_["data"].get("final"):
            op_["mono"] = end
            op_["wall"] = 1_700_000_000.0 + end
            end += 0.0001
    chosen = sorted(rng.sample(fault_times, min(FAULTS, len(fault_times)))) if fault_times else []
    faults = []
    for i, at in enumerate(chosen):
        faults.append({"kind": "fault", "type": "start", "key": None, "mono": at, "wall": 1_700_000_000.0 + at,
                       "data": {"id": f"f{i}", "name": "kill-worker"}})
        faults.append({"kind": "fault", "type": "end", "key": None, "mono": at + 0.5, "wall": 1_700_000_000.5 + at,
                       "data": {"id": f"f{i}", "name": "kill-worker"}})
    history = sorted(faults + history, key=lambda o: o["mono"])

    ledger = directory / "ledger"
    ledger.mkdir(parents=True)
    torn = 0
    for index, pid in enumerate(pids):
        lines = by_pid[pid]
        lines.sort(key=lambda r: r["mono"])  # one writer appends in its own time order
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in lines).encode()
        if index % TORN_EVERY == 0:  # a writer killed inside its last write
            whole = json.dumps(_record("t-torn", 1, "started", pid, end), separators=(",", ":")).encode()
            data += whole[: len(whole) // 2]
            torn += 1
        (ledger / f"{pid}.jsonl").write_bytes(data)
    (ledger / "attempts").mkdir()  # what a real ledger directory also holds
    (ledger / "releases").mkdir()
    (directory / "history.jsonl").write_text("".join(json.dumps(o) + "\n" for o in history))
    (directory / "specs.jsonl").write_text("".join(json.dumps(s) + "\n" for s in specs))
    return {"ledger_records": records, "tasks": tasks, "writer_files": writers, "torn_lines": torn,
            "history_ops": len(history), "faults": len(chosen),
            "ledger_bytes": sum(p.stat().st_size for p in ledger.glob("*.jsonl")),
            "expected_counts": {k: v for k, v in sorted(expected.items())},
            "expected_persistence": {"relevant": persistence_relevant, "violations": persistence_violations}}


def _maxrss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def measure(directory: Path) -> dict:
    """Run the real code path on the generated run; called in a fresh process."""
    from chaos.judgement.checker import check
    from chaos.judgement.claims import CLAIMS, Evidence
    from chaos.profile import get_profile
    from chaos.records.history import History
    from chaos.records.ledger import read_ledger
    from chaos.records.taskspec import TaskSpec

    import chaos

    try:  # the persistence claim reads only max_attempts; a moved or renamed profile must not stop the bench
        profile = get_profile(PROFILE)
        assert profile.max_attempts == MAX_ATTEMPTS
        profile_used = profile.id
    except Exception:  # noqa: BLE001
        from types import SimpleNamespace

        profile, profile_used = SimpleNamespace(max_attempts=MAX_ATTEMPTS), f"stand-in (max_attempts={MAX_ATTEMPTS})"
    phases: dict[str, float] = {}
    rss: dict[str, float] = {"baseline": _maxrss_mb()}

    cpu: dict[str, float] = {}

    def timed(name, fn):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = fn()
        phases[name] = round(time.perf_counter() - started, 4)
        cpu[name] = round(time.process_time() - started_cpu, 4)
        rss[name] = _maxrss_mb()
        return value

    specs = timed("load_specs", lambda: [TaskSpec.model_validate_json(line) for line in
                                         (directory / "specs.jsonl").read_text().splitlines()])
    history = timed("load_history", lambda: History.load(directory / "history.jsonl"))
    ledger = timed("read_ledger", lambda: read_ledger(directory / "ledger"))
    result = timed("check", lambda: check(specs, history, ledger))
    claim = timed("judge_persistence",
                  lambda: CLAIMS["persistence"].judge(Evidence(specs, result, ledger, history), profile))
    return {"chaos_package": str(Path(chaos.__file__).parent), "profile": profile_used, "phases_s": phases, "phases_cpu_s": cpu, "maxrss_mb": rss, "records_read": len(ledger.records),
            "torn_lines": ledger.torn_lines, "counts": dict(sorted(result.counts.items())),
            "persistence": {"holds": claim.holds, "relevant": claim.relevant, "violations": claim.violations},
            "redeliveries": sum(o.redeliveries for o in result.outcomes.values()),
            "requested_retries": sum(o.requested_retries for o in result.outcomes.values()),
            "with_recovery_s": sum(o.recovery_s is not None for o in result.outcomes.values())}


def run_size(size: int, code: Path, seed: int, timeout_s: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"taskchaos-checker-{size}-"))
    try:
        env = dict(os.environ, PYTHONPATH=str(code))
        started = time.perf_counter()
        gen = subprocess.run([sys.executable, __file__, "--_generate", str(workdir), "--_size", str(size),
                              "--seed", str(seed)], capture_output=True, text=True, env=env, check=True)
        plan = json.loads(gen.stdout)
        generate_s = round(time.perf_counter() - started, 2)
        try:
            done = subprocess.run([sys.executable, __file__, "--_measure", str(workdir), "--code", str(code)],
                                  capture_output=True, text=True, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"size": size, "plan": plan, "generate_s": generate_s, "timed_out_after_s": timeout_s}
        if done.returncode != 0:
            raise SystemExit(f"measurement of {size} failed:\n{done.stderr}")
        got = json.loads(done.stdout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    phases = got["phases_s"]
    n = plan["ledger_records"]
    checked = phases["read_ledger"] + phases["check"]
    cpu = got["phases_cpu_s"]
    rss = list(got["maxrss_mb"].items())
    growth = {name: round(b - a, 1) for (_, a), (name, b) in zip(rss, rss[1:])}
    matches = (got["counts"] == plan["expected_counts"] and got["torn_lines"] == plan["torn_lines"]
               and got["persistence"]["relevant"] == plan["expected_persistence"]["relevant"]
               and got["persistence"]["violations"] == plan["expected_persistence"]["violations"])
    return {"size": size, "plan": plan, "generate_s": generate_s, **got,
            "read_and_check_s": round(checked, 4),
            "read_and_check_cpu_s": round(cpu["read_ledger"] + cpu["check"], 4),
            "records_per_s": {"read_ledger": round(n / phases["read_ledger"]) if phases["read_ledger"] else None,
                              "check": round(n / phases["check"]) if phases["check"] else None,
                              "read_and_check": round(n / checked) if checked else None},
            "peak_mb": max(got["maxrss_mb"].values()),
            "peak_growth_mb_per_phase": growth,
            "outcomes_match_plan": matches}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="ledger records per run, comma-separated")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--code", type=Path, default=ROOT, help="the tree whose chaos package is measured")
    parser.add_argument("--timeout-s", type=float, default=900.0, help="deadline per measurement")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--_generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._generate:
        print(json.dumps(generate(args._size, args._generate, args.seed)))
        return 0
    if args._measure:
        sys.path.insert(0, str(args.code.resolve()))
        print(json.dumps(measure(args._measure)))
        return 0

    code = args.code.resolve()
    load_before = [round(x, 2) for x in os.getloadavg()]
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        run = run_size(size, code, args.seed, args.timeout_s)
        runs.append(run)
        if "timed_out_after_s" in run:
            print(f"{size:>9} records: measurement timed out after {args.timeout_s:g} s", flush=True)
            continue
        p = run["phases_s"]
        print(f"{run['plan']['ledger_records']:>9} records ({run['plan']['tasks']} tasks): read_ledger "
              f"{p['read_ledger']:.3f} s, check {p['check']:.3f} s, judge {p['judge_persistence']:.3f} s "
              f"(read+check {run['read_and_check_s']:.3f} s wall, {run['read_and_check_cpu_s']:.3f} s CPU); "
              f"{run['records_per_s']['read_and_check']} records/s read+check; peak {run['peak_mb']} MB; "
              f"outcomes match plan: {run['outcomes_match_plan']}", flush=True)
    done = [r for r in runs if "phases_s" in r]
    scaling = []
    for a, b in zip(done, done[1:]):
        ra, rb = a["plan"]["ledger_records"], b["plan"]["ledger_records"]
        scaling.append({"from": ra, "to": rb, "records_ratio": round(rb / ra, 2),
                        "check_time_ratio": round(b["phases_s"]["check"] / a["phases_s"]["check"], 2),
                        "read_and_check_time_ratio": round(b["read_and_check_s"] / a["read_and_check_s"], 2),
                        "read_and_check_cpu_ratio": round(b["read_and_check_cpu_s"] / a["read_and_check_cpu_s"], 2)})
    biggest = max(done, key=lambda r: r["plan"]["ledger_records"], default=None)
    report = {
        "benchmark": "checker_scale",
        "what": "read_ledger + check + the persistence claim's judge on synthetic runs of growing size",
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": str(code),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_1_5_15_min": {"before": load_before,
                                                "after": [round(x, 2) for x in os.getloadavg()]}},
        "settings": {"sizes": args.sizes, "seed": args.seed, "profile": PROFILE, "categories": CATEGORIES,
                     "torn_every_writer_files": TORN_EVERY, "stray_every_tasks": STRAY_EVERY,
                     "peak_mb": "ru_maxrss of the measuring process (interpreter, specs, history, ledger, outcomes); "
                                "peak_growth_mb_per_phase: how much each phase raised it",
                     "cpu_s": "process CPU time: less sensitive than wall time to other work on a shared machine"},
        "runs": runs,
        "scaling": scaling,
        "goal": f"10^6 ledger records read and checked in {GOAL_S:g} s or less",
        "meets_goal": (biggest is not None and biggest["plan"]["ledger_records"] >= 1_000_000
                       and biggest["read_and_check_s"] <= GOAL_S) if biggest else False,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.output}")
    return 0 if all(r.get("outcomes_match_plan", True) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
