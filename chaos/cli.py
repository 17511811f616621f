"""The ``taskchaos`` command.

  taskchaos run [--budget B] [--infra I] [--seed N] [--shard K/N] [--system FILE] [PYTEST ARGS...]
                                                             the chaos pass, ending with the verdict table
                                                             (--shard: one of N machines' deterministic slice;
                                                             --system: a team's own app, chaos/system.py)
  taskchaos init APP [--backend B] [--broker K] [--out FILE] write a system description for your own app
  taskchaos cell CLAIM FAULT PROFILE [--budget B] [--seed N] [--corpus DIR]
                                                             one cell as the suite runs it (its corpus entries
                                                             first, then the budget's search), outcomes printed
  taskchaos corpus add RUN_DIR [--corpus DIR]               promote a run's counterexamples found by a search
  taskchaos corpus list [--corpus DIR]                      the corpus's entries with their sizes
  taskchaos replay SCENARIO --profile P --claim C --fault F replay a scenario file against a profile
  taskchaos explore CLAIM FAULT PROFILE [--budget B] [--seed N]
                                                             search generated scenarios for a violation,
                                                             shrink it, write minimal-scenario.json
  taskchaos table RUN_DIR [--expectations F]                the gate's decision, the verdict table and matrix of a stored run
  taskchaos gate RUN_DIR [--expectations F] [--junit P] [--summary P]
                                                             re-judge a stored run against expectations.toml:
                                                             exit 0 pass, 1 fail, 2 bad input
  taskchaos report RUN_DIR [--expectations F]               render RUN_DIR/report.html from its report.json
  taskchaos expectations RUN_DIR                             a stored run's verdicts as expectations TOML
  taskchaos merge RUN_DIR... [--out DIR] [--expectations F] join the N shards' runs into one run and gate it
                                                             whole: exit 0 pass, 1 fail (a shard missing), 2 bad input
  taskchaos durations RUN_DIR... [--out FILE]               refresh chaos/cell_durations.json (what --shard balances)
  taskchaos images build [--kind redis|rabbitmq] [--force|--pull]  a broker's image for --infra docker
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path


def _sigterm_as_interrupt() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def cmd_run(args, extra: list[str]) -> int:
    """The chaos pass as pytest. On a terminal, pytest runs as a child with a live progress line below
    its output (chaos/live.py); otherwise in this process, its output untouched. Ends with the page's path."""
    import pytest

    from chaos.judgement.claims import CLAIMS

    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-run{os.getpid()}"
    if args.shard:
        from chaos.shard import parse_shard

        index, count = parse_shard(args.shard)
        run_id += f"-shard{index}of{count}"
    reports = Path(args.reports).resolve()
    if args.system:  # a team's own system: the pytest run (and its xdist workers) judge its profile alone
        from chaos.system import SYSTEM_ENV, SystemDescriptionError, system_profile

        os.environ[SYSTEM_ENV] = str(Path(args.system).resolve())
        try:
            profile = system_profile(Path(os.environ[SYSTEM_ENV]))
        except SystemDescriptionError as exc:
            print(f"taskchaos run: {exc}", file=sys.stderr)
            return 2
        from chaos.gating import load_expectations
        from chaos.judgement.expectations import ExpectationError

        try:  # here, once: raised in every xdist worker instead, it would end the run with an INTERNALERROR
            load_expectations()
        except ExpectationError as exc:
            print(f"taskchaos run: {exc}", file=sys.stderr)
            return 2
        print(f"taskchaos run: judging {profile.id} ({profile.system['app']}) from {args.system}", flush=True)
    from chaos.cell_modules import CellModulesMissing, cells_dir, outside_checkout

    try:
        chaos_tests = cells_dir()
    except CellModulesMissing as exc:
        print(f"taskchaos run: {exc}", file=sys.stderr)
        return 2
    argv = [str(chaos_tests), *outside_checkout(), f"--chaos-budget={args.budget}", f"--infra={args.infra}", "-q", "-p", "no:cacheprovider",
            f"--chaos-reports={reports}", f"--chaos-run-id={run_id}"]
    if args.seed is not None:
        argv.append(f"--chaos-seed={args.seed}")
    if args.shard:
        argv.append(f"--chaos-shard={args.shard}")
    if args.workers > 1:
        argv += ["-n", str(args.workers)]
    argv += extra
    print(f"taskchaos run: pytest {' '.join(argv)}", flush=True)
    if sys.stdout.isatty() and not args.no_progress:
        from chaos.live import run_with_progress

        code = run_with_progress(argv, reports / run_id, list(CLAIMS))
    else:
        code = int(pytest.main(argv))
    page = reports / run_id / "report.html"
    print(f"taskchaos run: report page: {page}" if page.exists() else
          f"taskchaos run: no report page (no cell ran, or rendering failed: see above); run directory: {reports / run_id}")
    return code


def _print_cell(cell) -> None:
    print("\n".join(cell.summary_lines()))


def _run_dir(args) -> Path:
    run_dir = Path(args.reports) / (time.strftime("%Y%m%d-%H%M%S") + "-cli")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def _write_cli_report(cell, run_dir: Path, *, started: float, budget: str, infra: str, why: str,
                      data: dict | None = None) -> None:
    """report.json for a one-cell CLI run (a subset of the suite), and reports/latest pointed at it.
    ``data``: the cell's record, when it has more than the cell's own (a search's)."""
    from chaos.report.json_report import build_report, write_report

    report = build_report(run_id=run_dir.name, run_dir=run_dir, cells=[data or cell.to_json()], started_wall=started,
                          budget=budget, infra=infra, errors=[], argv=["taskchaos", *sys.argv[1:]],
                          selection={"subset": True, "why": [why]})
    print(f"  report:   {write_report(report, run_dir)} (gate it: taskchaos gate {run_dir})")


def cmd_cell(args) -> int:
    """One cell as the chaos suite runs it (chaos.explore.search_cell): its corpus entries first, then
    the budget's search (quick: the canonical workload only); the decisive example's outcomes."""
    import random

    from chaos.explore import search_cell

    started, run_dir = time.time(), _run_dir(args)
    seed = random.getrandbits(32) if args.seed is None else args.seed
    found = search_cell(args.claim, args.fault, args.profile, budget=args.budget, infra=args.infra, run_dir=run_dir,
                        seed_value=seed, corpus_dir=args.corpus, echo=print)
    found.write()
    data = found.cell_json()
    decisive = data["search"]["decisive"]
    print(f"decisive scenario: from the {decisive['source']}" + (f" (entry {decisive['entry']})" if decisive["entry"] else "")
          + f"; differs from the canonical workload: {data['search']['differs_from_canonical']['words']}")
    _print_cell(found.decisive)
    _write_cli_report(found.decisive, run_dir, started=started, budget=args.budget, infra=args.infra,
                      why="taskchaos cell: one cell", data=data)
    return 0 if found.decisive.verdict.verdict == "holds" else 1


def cmd_replay(args) -> int:
    from chaos.cell import run_cell
    from chaos.scenario.model import Scenario

    scenario = Scenario.load(Path(args.scenario))
    print(f"replaying {args.scenario} ({len(scenario.tasks)} tasks, faults: "
          f"{', '.join(f.fault + '@' + f.at_key for f in scenario.faults) or 'none'}) on {args.profile}")
    started, run_dir = time.time(), _run_dir(args)
    cell = run_cell(args.claim, args.fault, args.profile, budget="quick", infra=args.infra, run_dir=run_dir,
                    scenario=scenario)
    _print_cell(cell)
    _write_cli_report(cell, run_dir, started=started, budget="quick", infra=args.infra,
                      why=f"taskchaos replay of {args.scenario}")
    return 0 if cell.verdict.verdict == "holds" else 1


def cmd_explore(args) -> int:
    from chaos.explore import explore

    run_dir = Path(args.reports) / (time.strftime("%Y%m%d-%H%M%S") + f"-explore-{args.claim}-{args.fault}")
    result = explore(args.claim, args.fault, args.profile, budget=args.budget, infra=args.infra, run_dir=run_dir,
                     seed_value=args.seed, shrink_cap_s=args.shrink_cap, max_examples=args.max_examples)
    return 1 if result.found else 0


def _load_report(run_dir: str) -> dict:
    from chaos.gating import load_report

    return load_report(run_dir)[1]


def cmd_table(args) -> int:
    """The gate's decision first (and the cells that fail it, with their replay commands), the
    summary, then the verdict table, the outcomes and the matrix."""
    from chaos.profile import load_profiles
    from chaos.report.decision import decision_text, judge_report
    from chaos.report.matrix import build_matrix, matrix_text
    from chaos.report.table import outcome_summary, verdict_table
    from chaos.report.words import summary_paragraph

    report = _load_report(args.run_dir)
    print(decision_text(judge_report(report, args.expectations)))
    print()
    print(summary_paragraph(report))
    print()
    print(verdict_table(report["verdicts"]))
    print()
    print(outcome_summary(report["cells"]))
    print()
    print(matrix_text(build_matrix(report["verdicts"], list(report.get("profiles") or load_profiles()))))
    return 0


def cmd_report(args) -> int:
    from chaos.report.html_page import write_html

    run_dir = Path(args.run_dir)
    report = _load_report(args.run_dir)
    page = write_html(report, run_dir if run_dir.is_dir() else run_dir.parent, expectations=args.expectations)
    print(f"report page: {page}")
    return 0


def cmd_gate(args) -> int:
    """Re-judge a stored run: 0 the gate passes, 1 it fails, 2 bad input (raised as GateInputError /
    ExpectationError before anything is judged)."""
    from chaos.gating import gate_report, load_expectations, load_report
    from chaos.report.matrix import matrix_text

    expectations = load_expectations(args.expectations)
    run_dir, report = load_report(args.run_dir)
    gated = gate_report(run_dir, report, expectations, junit=args.junit, summary=args.summary)
    print(matrix_text(gated.matrix))
    print()
    print("\n".join(gated.result.lines()))
    print(f"junit: {gated.junit}\nsummary: {gated.summary}")
    return 0 if gated.result.passed else 1


def cmd_expectations(args) -> int:
    from chaos.brokers import DURABILITY_FAULTS

    report = _load_report(args.run_dir)
    tables: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for v in report["verdicts"]:
        tables.setdefault((v["claim"], v["fault"]), {}).setdefault(v["profile"], {})[v["persistence"]] = v["verdict"]
    for (claim, fault), by_profile in tables.items():
        print(f"[{claim}.{fault}]")
        for profile, by_mode in by_profile.items():
            if fault in DURABILITY_FAULTS:
                inner = ", ".join(f'{m} = "{v}"' for m, v in by_mode.items())
                print(f"{profile} = {{ {inner} }}")
            else:
                (only,) = set(by_mode.values()) if len(set(by_mode.values())) == 1 else (None,)
                print(f'{profile} = "{only}"' if only else f"{profile} = {{ {by_mode} }}")
        print()
    return 0


def cmd_init(args) -> int:
    """Write a commented system description for a team's own app (chaos/system.py)."""
    from chaos.system import SystemDescriptionError, starter

    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"taskchaos init: {out} exists: pass --force to overwrite it, or --out another file", file=sys.stderr)
        return 2
    try:
        text = starter(args.app, backend=args.backend, broker=args.broker, name=args.name or Path.cwd().name,
                       folder=out.resolve().parent)
    except (SystemDescriptionError, ValueError) as exc:
        print(f"taskchaos init: {exc}", file=sys.stderr)
        return 2
    out.write_text(text)
    print(f"taskchaos init: wrote {out}; run it with: taskchaos run --system {out} --budget quick")
    return 0


def _cmd(module: str, name: str):
    """A command that lives with its concept (chaos/merge.py, chaos/shard.py), imported when it runs."""
    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return run


def _shard_arg(text: str) -> str:
    from chaos.shard import ShardError, parse_shard

    try:
        parse_shard(text)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="taskchaos", description="chaos and reliability tests for task durability")
    parser.add_argument("--reports", default="reports", help="where runs are written (default: ./reports)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the chaos pass (pytest tests/chaos), ending with the verdict table")
    run.add_argument("--budget", default="standard", choices=("quick", "standard", "deep"))
    run.add_argument("--infra", default="process")
    run.add_argument("--workers", type=int, default=6, help="cells run in parallel (pytest-xdist; default 6: the cells mostly wait on holds, windows and drains)")
    run.add_argument("--seed", type=int, default=None,
                     help="Hypothesis seed of the scenario search (default: a fresh one, printed at the end)")
    run.add_argument("--no-progress", action="store_true", help="no live progress line, even on a terminal")
    run.add_argument("--system", default=None, metavar="FILE",
                     help="judge a team's own system (its taskchaos.toml) instead of the built-in profiles")
    run.add_argument("--shard", default=None, metavar="K/N", type=_shard_arg,
                     help="run shard K of N (pytest --chaos-shard); join the runs with `taskchaos merge`")
    init = sub.add_parser("init", help="write a system description (taskchaos.toml) for your own app")
    init.add_argument("app", help="your app object, module:attribute (e.g. myproj.tasks:app)")
    init.add_argument("--backend", required=True, help="the backend it is: a folder of targets/ (its capabilities.system reads the app)")
    init.add_argument("--broker", default=None, help="the broker kind to judge it on (default: the backend's first; none for a backend without a broker)")
    init.add_argument("--name", default=None, help="its name in the reports (default: this folder's name)")
    init.add_argument("--out", default="taskchaos.toml", help="where to write it (default: ./taskchaos.toml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    cell = sub.add_parser("cell", help="run one cell")
    cell.add_argument("claim")
    cell.add_argument("fault")
    cell.add_argument("profile", help="name or name@persistence")
    cell.add_argument("--budget", default="quick", choices=("quick", "standard", "deep"))
    cell.add_argument("--infra", default="process")
    cell.add_argument("--seed", type=int, default=None, help="Hypothesis seed of the search (default: a fresh one)")
    cell.add_argument("--corpus", default=None, help="corpus replayed first (default: $TASKCHAOS_CORPUS, else ./corpus)")
    corpus = sub.add_parser("corpus", help="the committed counterexamples every cell replays first")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True)
    corpus_add = corpus_sub.add_parser("add", help="promote a run's counterexamples found by a search")
    corpus_add.add_argument("run_dir", help="a run directory (reports/<run>), or a `taskchaos explore` one")
    corpus_list = corpus_sub.add_parser("list", help="the entries, with their sizes")
    for each in (corpus_add, corpus_list):
        each.add_argument("--corpus", default=None, help="the corpus (default: $TASKCHAOS_CORPUS, else ./corpus)")
    replay = sub.add_parser("replay", help="replay a scenario file")
    replay.add_argument("scenario")
    replay.add_argument("--profile", required=True)
    replay.add_argument("--claim", required=True)
    replay.add_argument("--fault", required=True)
    replay.add_argument("--infra", default="process")
    explore = sub.add_parser("explore", help="search generated scenarios for a violation and shrink it")
    explore.add_argument("claim")
    explore.add_argument("fault", help="a cell's fault label (kill-worker, latency-run, ...) or none")
    explore.add_argument("profile", help="name or name@persistence")
    explore.add_argument("--budget", default="quick", choices=("quick", "standard", "deep"),
                         help="Hypothesis settings profile: examples and shrink cap (default: quick)")
    explore.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: a fresh one, printed)")
    explore.add_argument("--shrink-cap", type=float, default=None, help="seconds of shrinking at most")
    explore.add_argument("--max-examples", type=int, default=None, help="override the budget's example count")
    explore.add_argument("--infra", default="process")
    table = sub.add_parser("table", help="print a stored run's verdict table")
    table.add_argument("run_dir")
    table.add_argument("--expectations", default=None,
                       help="expectations file the decision is judged against (default: the one the run was gated with)")
    page = sub.add_parser("report", help="render a stored run's report.html from its report.json")
    page.add_argument("run_dir", help="a run directory (reports/<run> or reports/latest) or its report.json")
    page.add_argument("--expectations", default=None,
                      help="expectations file the page's gate decision is judged against (default: the one the run was gated with)")
    gate = sub.add_parser("gate", help="re-judge a stored run against the expectations (exit 0 pass, 1 fail, 2 bad input)")
    gate.add_argument("run_dir", help="a run directory (e.g. reports/latest) or its report.json")
    gate.add_argument("--expectations", default=None, help="expectations file (default: expectations.toml at the repository root)")
    gate.add_argument("--junit", default=None, help="where to write JUnit XML (default: RUN_DIR/junit.xml)")
    gate.add_argument("--summary", default=None, help="where to write the Markdown summary (default: RUN_DIR/summary.md)")
    exp = sub.add_parser("expectations", help="print a stored run's verdicts as expectations TOML")
    exp.add_argument("run_dir")
    merge = sub.add_parser("merge", help="join shard runs into one run, gate it as a full run, render its page")
    merge.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="every shard's run directory (or report.json)")
    merge.add_argument("--out", default=None, help="the merged run's directory (default: REPORTS/<run>-merged)")
    merge.add_argument("--expectations", default=None, help="expectations file (default: expectations.toml at the repository root)")
    durations = sub.add_parser("durations", help="refresh the durations file --shard balances from stored runs")
    durations.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    durations.add_argument("--out", default=None, help="the file to refresh (default: chaos/cell_durations.json)")
    images = sub.add_parser("images", help="container images for the docker infra driver")
    images_sub = images.add_subparsers(dest="images_command", required=True)
    build = images_sub.add_parser("build", help="build taskchaos/<kind>:local from this host's server (redis-server, "
                                               "rabbitmq-server)")
    from chaos.brokers import broker_kinds

    kinds = list(broker_kinds())
    build.add_argument("--kind", choices=kinds, default=kinds[0], help=f"the broker kind (default {kinds[0]})")
    build.add_argument("--force", action="store_true", help="rebuild even when it is current")
    build.add_argument("--pull", action="store_true", help="resolve TASKCHAOS_REDIS_IMAGE as the driver does")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    _sigterm_as_interrupt()
    from chaos.corpus import CorpusError
    from chaos.gating import GateInputError
    from chaos.infra.base import InfraError
    from chaos.judgement.expectations import ExpectationError
    from chaos.profile import ProfileError
    from chaos.runner import RunError

    try:
        if args.command == "run":
            return cmd_run(args, extra)
        if args.command == "images":
            from chaos.infra.images import cmd_images_build

            return cmd_images_build(args)
        return {"cell": cmd_cell, "init": cmd_init, "replay": cmd_replay, "explore": cmd_explore, "table": cmd_table, "gate": cmd_gate,
                "report": cmd_report, "merge": _cmd("chaos.merge", "cmd_merge"), "durations": _cmd("chaos.shard", "cmd_durations"),
                "expectations": cmd_expectations, "corpus": _cmd("chaos.corpus", "cmd_corpus")}[args.command](args)
    except (InfraError, ProfileError, RunError, GateInputError, ExpectationError, CorpusError) as exc:
        print(f"taskchaos: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("taskchaos: interrupted; every server this run started has been stopped", file=sys.stderr)
        return 130
    finally:
        from chaos.infra import stop_everything

        stop_everything()


if __name__ == "__main__":
    sys.exit(main())
