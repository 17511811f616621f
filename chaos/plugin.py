"""The taskchaos pytest plugin: options, the ``chaos`` fixture, expectations as strict xfail, and
at the end of the run report.json, the verdict table and matrix, and the gate (junit.xml and
summary.md in the run directory; a failing gate fails the session).

Imports nothing heavy at load time: the harness is imported inside the hooks that need it.

Options: ``--chaos-budget quick|standard|deep`` (default quick), ``--infra process|docker``,
``--chaos-reports DIR`` (default ./reports), ``--chaos-corpus DIR`` (default ./corpus: the
counterexamples every cell replays first, chaos/corpus.py), ``--chaos-shard K/N`` (run one of N
deterministic slices of the selected chaos tests; ``taskchaos merge`` joins the N runs: chaos/shard.py).
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import time
from pathlib import Path

import pytest

_STATE = pytest.StashKey[dict]()


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def pytest_addoption(parser):
    group = parser.getgroup("taskchaos", "taskchaos chaos runs")
    group.addoption("--chaos-budget", default=os.environ.get("TASKCHAOS_BUDGET", "quick"),
                    choices=("quick", "standard", "deep"), help="size of the chaos workloads (default: quick)")
    group.addoption("--infra", default=os.environ.get("TASKCHAOS_INFRA", "process"),
                    help="infra driver that runs the servers (default: process)")
    group.addoption("--chaos-expectations", default=os.environ.get("TASKCHAOS_EXPECTATIONS"),
                    help="expectations file (default: expectations.toml at the repository root)")
    group.addoption("--chaos-seed", type=int, default=_env_int("TASKCHAOS_SEED"),
                    help="Hypothesis seed of the scenario search (standard and deep budgets; quick is "
                         "derandomised). Default: a fresh one, printed at the start and the end of the run")
    group.addoption("--chaos-reports", default=os.environ.get("TASKCHAOS_REPORTS", "reports"),
                    help="directory for run reports (default: ./reports)")
    group.addoption("--chaos-corpus", default=os.environ.get("TASKCHAOS_CORPUS"),
                    help="corpus of counterexamples that every cell replays first (default: corpus/ at the "
                         "repository root; chaos/corpus.py)")
    group.addoption("--chaos-run-id", default=None,
                    help="name of this run's directory under --chaos-reports (default: <time>-<pid>); "
                         "`taskchaos run` sets it to follow the run's progress")
    group.addoption("--chaos-shard", default=os.environ.get("TASKCHAOS_SHARD"), metavar="K/N",
                    help="run shard K of N: a deterministic slice of the selected chaos tests, balanced by measured "
                         "duration; join the N runs with `taskchaos merge` (chaos/shard.py)")
    group.addoption("--taskchaos-system", default=os.environ.get("TASKCHAOS_SYSTEM"), metavar="FILE",
                    help="judge a team's own system (its taskchaos.toml, chaos/system.py) instead of the built-in "
                         "profiles; expectations default to taskchaos-expectations.toml beside it")
    group.addoption("--chaos-durations", default=None,
                    help="seconds per chaos test that --chaos-shard balances (default: chaos/cell_durations.json)")


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: a chaos cell (claim × fault × profile) run against real servers")
    workerinput = getattr(config, "workerinput", None)  # set in pytest-xdist workers
    if workerinput and "taskchaos_run_id" in workerinput:
        run_id, started = workerinput["taskchaos_run_id"], workerinput["taskchaos_started"]
        seed = workerinput["taskchaos_seed"]
    else:
        run_id, started = config.getoption("--chaos-run-id"), time.time()
        if run_id is None:
            run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        elif not re.fullmatch(r"[A-Za-z0-9_.-]+", run_id) or run_id in (".", "..", "latest"):
            raise pytest.UsageError(f"--chaos-run-id {run_id!r}: use letters, digits, '_', '.' and '-' "
                                    f"(it names a directory under --chaos-reports), and not 'latest'")
        seed = config.getoption("--chaos-seed", None)
        seed = random.getrandbits(32) if seed is None else seed
    system = config.getoption("--taskchaos-system", None)
    if system:  # before collection: the chaos tests' matrix is this system's profile alone
        from chaos.system import SYSTEM_ENV

        os.environ[SYSTEM_ENV] = str(Path(system).resolve())
    config.stash[_STATE] = {"run_id": run_id, "started": started, "run_dir": None, "seed": seed}
    os.environ.setdefault("TASKCHAOS_RUN_ID", run_id)  # the docker driver labels containers with it
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "taskchaos-xdist")
    from chaos.shard import ShardHooks  # --chaos-shard, and every chaos test's duration

    config.pluginmanager.register(ShardHooks(config, config.stash[_STATE], _is_chaos, lambda: _run_dir(config)),
                                  "taskchaos-shard")


class _XdistHooks:
    """Registered only when pytest-xdist is present: every worker writes into the controller's run."""

    def pytest_configure_node(self, node):
        state = node.config.stash[_STATE]
        node.workerinput["taskchaos_run_id"] = state["run_id"]
        node.workerinput["taskchaos_started"] = state["started"]
        node.workerinput["taskchaos_seed"] = state["seed"]


def _run_path(config) -> Path:
    root = Path(config.getoption("--chaos-reports"))
    if not root.is_absolute():
        root = Path(config.rootpath) / root
    return root / config.stash[_STATE]["run_id"]


def _run_dir(config) -> Path:
    """The run's directory, created on first use (a run without chaos cells writes nothing)."""
    state = config.stash[_STATE]
    if state["run_dir"] is None:
        state["run_dir"] = _run_path(config)
        state["run_dir"].mkdir(parents=True, exist_ok=True)
    return state["run_dir"]


class ChaosFixture:
    """What a chaos test calls: ``chaos.check(claim, fault, profile)`` runs the cell and asserts its
    claim holds — under a strict xfail when expectations.toml says the cell is expected not to."""

    def __init__(self, request):
        self.request = request
        self.config = request.config

    def check(self, claim: str, fault: str, profile_spec: str, *, infra: str | None = None):
        """``infra``: the driver for this cell (default: ``--infra``)."""
        from chaos.cell import not_applicable
        from chaos.infra import unavailable
        from chaos.profile import get_profile

        infra = infra or self.config.getoption("--infra")
        profile = get_profile(profile_spec)
        reason = not_applicable(fault, profile) or profile.not_made_for(claim, fault, profile.persistence)
        if reason:
            self._skip(f"{claim}-{fault}-{profile.id}-{infra}", reason)
        reason = profile.left_out_by(self.config.getoption("--chaos-budget"), claim, fault, profile.persistence)
        if reason:
            self._skip(f"{claim}-{fault}-{profile.id}-{infra}", reason)
        reason = unavailable(infra)
        if reason:
            self._skip(f"{claim}-{fault}-{profile.id}-{infra}", f"--infra {infra} cannot run here: {reason}. Start a "
                       f"daemon with `.ci/docker-daemon.sh start` (as root: installs docker.io if needed)")
        expected = _expectations(self.config).expected(claim, fault, profile.name, profile.persistence)
        if expected not in (None, "holds"):
            # Only the final assertion is the expected failure: any other verdict than the expected
            # one (violated instead of unsupported, inconclusive instead of measured, ...) fails.
            self.request.node.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                                           reason=f"expectations.toml: {expected}"))
        run_dir = _run_dir(self.config)
        try:
            cell, search = _search_cell(claim, fault, profile, infra, self.config, run_dir)
        except Exception as exc:
            errors = run_dir / "errors"
            errors.mkdir(exist_ok=True)
            (errors / f"{claim}-{fault}-{profile.id}-{infra}.json").write_text(json.dumps(
                {"cell": f"{claim}/{fault}/{profile.id} [{infra}]", "error": f"{type(exc).__name__}: {exc}"}))
            raise
        data = cell.to_json()
        data["expected"] = expected
        data["search"] = search
        (cell.directory.parent / "cell.json").write_text(json.dumps(data, indent=2, default=str))
        v = cell.verdict
        if expected is None:
            pytest.fail(f"expectations.toml has no expectation for {v.cell}; observed {v.short}: add "
                        f"{profile.name} = \"{v.verdict}\" under [{claim}.{fault}] (or into its persistence table)")
        if v.verdict == "inconclusive":
            pytest.fail(f"{v.cell}: inconclusive — {v.result.note}")
        if v.verdict not in ("holds", expected):  # (holds where a failure was expected: strict XPASS)
            pytest.fail(f"{v.cell}: observed {v.short}, but expectations.toml says {expected}; replay: "
                        f"{v.evidence['replay']}")
        r = v.result
        assert v.verdict == "holds", (
            f"{v.cell}: {v.short} (expected {expected}); outcomes of the {r.relevant} relevant tasks: {r.counts}; "
            f"violating: {r.violating_keys}; decisive scenario from the {search['decisive']['source']} (seed {search['seed']}); "
            f"replay: {v.evidence['replay']}")
        return cell

    def _skip(self, name: str, reason: str):
        """Skip the cell, and leave a note in the run directory (the live progress counts it as done)."""
        skipped = _run_dir(self.config) / "skipped"
        skipped.mkdir(exist_ok=True)
        (skipped / f"{re.sub(r'[^A-Za-z0-9_.@-]', '_', name)}.json").write_text(json.dumps({"cell": name, "reason": reason}))
        pytest.skip(reason)


def _search_cell(claim, fault, profile, infra, config, run_dir):
    """Run one cell as every budget does (``chaos.explore.search_cell``): its corpus entries first, then
    a Hypothesis search over the variations of its claim's workload (budget: how many scenarios, how
    long to shrink). Returns the decisive example's cell — the smallest violating scenario among the
    corpus replays and the search, else the canonical one — and what the search did."""
    from chaos.cell_modules import pytest_target
    from chaos.explore import search_cell
    from chaos.system import env_prefix

    budget = config.getoption("--chaos-budget")
    seed = config.stash[_STATE]["seed"]
    found = search_cell(claim, fault, profile.id, budget=budget, infra=infra, run_dir=run_dir, seed_value=seed,
                        corpus_dir=config.getoption("--chaos-corpus"),
                        repeat=f"{env_prefix()}pytest {pytest_target()} --chaos-budget {budget} --chaos-seed {seed} --infra {infra}")
    return found.decisive, found.record


def _expectations(config):
    """The expectations file, validated against the known claims, faults and profiles (once)."""
    state = config.stash[_STATE]
    if "expectations" not in state:
        from chaos.gating import load_expectations

        state["expectations"] = load_expectations(config.getoption("--chaos-expectations"))
    return state["expectations"]


def _is_chaos(item) -> bool:
    return "chaos" in getattr(item, "fixturenames", ())


def pytest_deselected(items):
    """Chaos cells left out by -k, -m, --deselect, --lf...: the run is a subset of the suite."""
    for item in items:
        if _is_chaos(item):
            state = item.config.stash[_STATE]
            state["deselected"] = state.get("deselected", 0) + 1


def pytest_collection_finish(session):
    """Record whether this run selected the whole chaos suite (each xdist worker writes the same), and
    how many chaos cells it will play (``collected.json``, for the live progress)."""
    chaos_items = [item for item in session.items if _is_chaos(item)]
    config = session.config
    if not chaos_items or config.option.collectonly or "expectations" not in config.stash[_STATE]:
        return  # nothing will run (this hook runs after a UsageError too)
    path = _run_dir(config) / "collected.json"
    tmp = path.with_name(f".collected-{os.getpid()}")
    tmp.write_text(json.dumps({"cells": len(chaos_items)}))
    tmp.replace(path)
    why = []
    shard = config.stash[_STATE].get("shard")  # the selection before sharding is what counts here
    deselected = config.stash[_STATE].get("deselected", 0) - (shard["deselected"] if shard else 0)
    if deselected:
        why.append(f"{deselected} chaos tests deselected")
    if any("::" in str(arg) for arg in config.args):
        why.append("test ids named on the command line")
    collected = shard["paths"] if shard else {Path(str(item.path)) for item in chaos_items}
    for directory in sorted({path.parent for path in collected}):
        for path in sorted([*directory.glob("test_*.py"), *directory.glob("*_test.py")]):
            if path not in collected:
                why.append(f"{path.name} not collected")
    selection = _run_dir(config) / "selection"
    selection.mkdir(exist_ok=True)
    name = getattr(config, "workerinput", {}).get("workerid", "main")
    record = {"subset": bool(why), "why": why, "chaos_tests": len(chaos_items)}
    if shard:
        from chaos.shard import shard_record

        record = shard_record(record, shard)
    (selection / f"{name}.json").write_text(json.dumps(record))


def pytest_collection_modifyitems(session, config, items):
    """Refuse a bad expectations file, or a corpus file of a cell that no longer exists, before anything runs."""
    if any(_is_chaos(item) for item in items):
        from chaos.corpus import CorpusError, corpus_root, load_corpus
        from chaos.judgement.expectations import ExpectationError

        try:
            load_corpus(corpus_root(config.getoption("--chaos-corpus")))
            _expectations(config)
        except (ExpectationError, CorpusError) as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.fixture
def chaos(request):
    return ChaosFixture(request)


def _selection(run_dir: Path) -> dict:
    """Whether the run was a subset, from what each process that collected chaos tests recorded."""
    records = [json.loads(p.read_text()) for p in sorted(run_dir.glob("selection/*.json"))]
    if not records:
        return {"subset": True, "why": ["no chaos tests collected"]}
    why = list(dict.fromkeys(w for r in records for w in r["why"]))
    shard = {"shard": records[0]["shard"]} if "shard" in records[0] else {}  # every process's is the same
    return {"subset": any(r["subset"] for r in records), "why": why, **shard}


def _collect(run_dir: Path) -> tuple[list[dict], list[dict]]:
    """Cells and errors as written by this process or by every xdist worker, in a stable order."""
    cells = [json.loads(p.read_text()) for p in sorted(run_dir.glob("cells/*/cell.json"))]
    errors = [json.loads(p.read_text()) for p in sorted(run_dir.glob("errors/*.json"))]
    from chaos.judgement.claims import CLAIMS
    from chaos.nemesis import fault_labels
    from chaos.profile import PERSISTENCE_MODES, load_profiles

    claims, faults, modes, profiles = list(CLAIMS), ["none", *fault_labels()], list(PERSISTENCE_MODES), list(load_profiles())

    def key(cell):
        v = cell["verdict"]
        return (claims.index(v["claim"]), faults.index(v["fault"]), modes.index(v["persistence"]),
                v.get("infra", "process") != "process", profiles.index(v["profile"]))

    cells.sort(key=key)
    return cells, errors


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """Stop every server; then (once, in the controller) write report.json, point reports/latest at
    it, gate the run and write junit.xml and summary.md. A failing gate fails the session even when
    every test passed (e.g. expected cells not run in a full run)."""
    from chaos.infra import stop_everything

    stop_everything()
    config = session.config
    state = config.stash.get(_STATE, None)
    if not state or hasattr(config, "workerinput") or not _run_path(config).exists():
        return
    from chaos.gating import gate_report
    from chaos.report.html_page import write_html
    from chaos.report.json_report import build_report, write_report

    run_dir = _run_dir(config)
    cells, errors = _collect(run_dir)
    if not (cells or errors):
        return
    report = build_report(run_id=state["run_id"], run_dir=run_dir, cells=cells,
                          started_wall=state["started"], budget=config.getoption("--chaos-budget"),
                          infra=config.getoption("--infra"), errors=errors,
                          argv=["pytest", *config.invocation_params.args], selection=_selection(run_dir),
                          seed=state["seed"])
    from chaos.shard import read_durations

    report["durations"] = read_durations(run_dir)  # seconds per chaos test: `taskchaos durations` reads them
    state["report"], state["report_path"] = report, write_report(report, run_dir)
    state["gate"] = gate_report(run_dir, report, _expectations(config))
    try:
        state["page"] = write_html(report, run_dir, gate_result=state["gate"].result)  # the decision it opens with
    except Exception as exc:  # the run's data is safe in report.json: say so, and how to render it again
        state["page_error"] = (f"report page FAILED: {type(exc).__name__}: {exc}; render it again with "
                               f"`taskchaos report {run_dir}`")
    if not state["gate"].result.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if not state or "report" not in state:
        return
    from chaos.report.matrix import matrix_text
    from chaos.report.table import outcome_summary, verdict_table
    from chaos.system import env_prefix

    report, gated = state["report"], state["gate"]
    tr = terminalreporter
    tr.section("taskchaos verdicts")
    tr.write_line(verdict_table(report["verdicts"]))
    tr.write_line("")
    tr.write_line("outcomes per cell (tasks):")
    tr.write_line(outcome_summary(report["cells"]))
    for err in report["errors"]:
        tr.write_line(f"ERROR {err['cell']}: {err['error']}")
    from chaos.corpus import corpus_root, run_lines

    tr.section("taskchaos corpus")
    for line in run_lines(report["cells"], corpus_root(config.getoption("--chaos-corpus")), _run_dir(config)):
        tr.write_line(line, yellow="no longer reproduces" in line)
    tr.section("taskchaos verdict matrix (the seed's table)")
    tr.write_line(matrix_text(gated.matrix))
    tr.section("taskchaos gate")
    for line in gated.result.lines():
        tr.write_line(line)
    tr.write_line(f"report: {state['report_path']}")
    tr.write_line(f"junit: {gated.junit}  summary: {gated.summary}")
    budget = config.getoption("--chaos-budget")
    tr.write_line(f"scenario search: budget {budget}, seed {state['seed']}"
                  + (" (derandomised: the canonical workload of each cell)" if budget == "quick" else "")
                  + f"; repeat: {env_prefix()}pytest {shlex.join(_without_seed(config.invocation_params.args))} --chaos-seed {state['seed']}")
    if "page" in state:
        tr.write_line(f"report page: {state['page']}")
    else:
        tr.write_line(state["page_error"], red=True)


def _without_seed(args) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--chaos-seed":
            skip = True
        elif not arg.startswith("--chaos-seed="):
            out.append(arg)
    return out
