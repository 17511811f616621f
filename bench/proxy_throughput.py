"""Benchmark: Redis throughput and latency directly and through the embedded Toxiproxy (no toxics).

Not a test: it measures what the proxy costs, so that chaos runs through it still look like Redis
workloads. One run starts a redis-server and the embedded Toxiproxy (``chaos.toxiproxy``), makes
one proxy, then alternates ``redis-benchmark -t ping,set,get`` direct and proxied for several
rounds (direct/proxied, then proxied/direct, ...: drift on a shared machine hits both sides), and
writes ``bench/results/proxy_throughput.json`` with every round, per-test medians, and the ratio
of proxied to direct throughput. Goal: the proxy keeps at least 0.4 of direct throughput.

    uv run python bench/proxy_throughput.py [--requests 100000] [--clients 50] [--rounds 4]

Needs ``redis-server`` and ``redis-benchmark`` on PATH. Everything it starts is stopped by pid.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chaos.toxiproxy.client import ToxiproxyClient  # noqa: E402
from chaos.toxiproxy.process import start_embedded  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "proxy_throughput.json"
GOAL_RATIO = 0.4
TESTS = "ping,set,get"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(directory: Path, timeout_s: float = 10.0) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(directory / "redis.log", "ab")
    popen = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(directory)],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout_s
    while not redis_answers(port):
        if popen.poll() is not None or time.monotonic() > deadline:
            stop(popen)
            raise SystemExit(f"redis-server did not start; see {directory / 'redis.log'}")
        time.sleep(0.02)
    return popen, port


def stop(popen: subprocess.Popen, timeout_s: float = 5.0) -> None:
    if popen.poll() is None:
        os.kill(popen.pid, signal.SIGTERM)
        try:
            popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(popen.pid, signal.SIGKILL)
            popen.wait(timeout=timeout_s)


def run_redis_benchmark(port: int, requests: int, clients: int, timeout_s: float) -> dict[str, dict[str, float]]:
    """One redis-benchmark run: {test: {rps, avg_ms, p50_ms, p99_ms}} from its CSV output."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", TESTS, "-n", str(requests),
            "-c", str(clients), "-q", "--csv"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=True)
    rows = csv.DictReader(io.StringIO(done.stdout))
    return {row["test"]: {"rps": float(row["rps"]), "avg_ms": float(row["avg_latency_ms"]),
                          "p50_ms": float(row["p50_latency_ms"]), "p99_ms": float(row["p99_latency_ms"])}
            for row in rows}


def summarise(rounds: list[dict]) -> dict:
    summary: dict[str, dict] = {}
    tests = sorted({test for r in rounds for test in r["results"]})
    for test in tests:
        entry: dict[str, dict] = {}
        for target in ("direct", "proxied"):
            runs = [r["results"][test] for r in rounds if r["target"] == target and test in r["results"]]
            entry[target] = {"rps_median": statistics.median(x["rps"] for x in runs),
                             "p50_ms_median": statistics.median(x["p50_ms"] for x in runs),
                             "p99_ms_median": statistics.median(x["p99_ms"] for x in runs),
                             "runs": len(runs)}
        entry["ratio_rps"] = round(entry["proxied"]["rps_median"] / entry["direct"]["rps_median"], 3)
        summary[test] = entry
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests per test per run")
    parser.add_argument("--clients", type=int, default=50, help="parallel connections")
    parser.add_argument("--rounds", type=int, default=4, help="direct+proxied pairs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--run-timeout-s", type=float, default=300.0, help="deadline per redis-benchmark run")
    args = parser.parse_args(argv)
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not on PATH")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    workdir = Path(tempfile.mkdtemp(prefix="taskchaos-bench-"))
    redis, redis_port = start_redis(workdir)
    toxiproxy = None
    try:
        toxiproxy = start_embedded(log_path=workdir / "toxiproxy.log")
        client = ToxiproxyClient(toxiproxy.url)
        proxy = client.create_proxy("bench-redis", f"127.0.0.1:{redis_port}")
        proxy_port = proxy.listen_host_port[1]
        targets = {"direct": redis_port, "proxied": proxy_port}
        rounds: list[dict] = []
        for number in range(args.rounds):
            order = ("direct", "proxied") if number % 2 == 0 else ("proxied", "direct")
            for target in order:
                started = time.monotonic()
                results = run_redis_benchmark(targets[target], args.requests, args.clients, args.run_timeout_s)
                rounds.append({"round": number + 1, "target": target, "seconds": round(time.monotonic() - started, 2),
                               "results": results})
                line = "  ".join(f"{t}={r['rps']:.0f}/s p99={r['p99_ms']:.2f}ms" for t, r in results.items())
                print(f"round {number + 1} {target:8s} {line}", flush=True)
        summary = summarise(rounds)
        ratios = [entry["ratio_rps"] for entry in summary.values()]
        overall = round(statistics.geometric_mean(ratios), 3)
        per_round = []
        for number in range(1, args.rounds + 1):
            pair = {r["target"]: r["results"] for r in rounds if r["round"] == number}
            per_round.append(round(statistics.geometric_mean(
                pair["proxied"][t]["rps"] / pair["direct"][t]["rps"] for t in pair["direct"]), 3))
        report = {
            "benchmark": "proxy_throughput",
            "what": "redis-benchmark direct vs through the embedded Toxiproxy (one proxy, no toxics)",
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "load_average_1_5_15_min": {"before": load_before,
                                                    "after": [round(x, 2) for x in os.getloadavg()]}},
            "settings": {"tests": TESTS, "requests": args.requests, "clients": args.clients, "rounds": args.rounds,
                         "order": "alternating, direct first in odd rounds"},
            "rounds": rounds,
            "summary": summary,
            "ratio_per_round": per_round,
            "ratio_proxied_over_direct": overall,
            "goal_ratio": GOAL_RATIO,
            "meets_goal": overall >= GOAL_RATIO,
        }
        args.output.write_text(json.dumps(report, indent=2) + "\n")
    finally:
        if toxiproxy is not None:
            toxiproxy.stop()
        stop(redis)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"{'test':12s} {'direct rps':>11s} {'proxied rps':>12s} {'ratio':>6s} {'p50 d/p':>13s} {'p99 d/p':>13s}")
    for test, entry in summary.items():
        d, p = entry["direct"], entry["proxied"]
        print(f"{test:12s} {d['rps_median']:11.0f} {p['rps_median']:12.0f} {entry['ratio_rps']:6.2f} "
              f"{d['p50_ms_median']:6.3f}/{p['p50_ms_median']:.3f} {d['p99_ms_median']:6.3f}/{p['p99_ms_median']:.3f}")
    print(f"\nproxied/direct throughput (geometric mean over tests): {overall}  "
          f"(goal >= {GOAL_RATIO}: {'met' if overall >= GOAL_RATIO else 'NOT met'}); per round: {per_round}")
    print(f"results: {args.output}")
    return 0 if overall >= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
