"""The taskchaos pytest plugin: options, the ``chaos`` fixture, expectations as strict xfail, and
the verdict table and report.json at the end of the run.

Imports nothing heavy at load time: the harness is imported inside the hooks that need it.

Options: ``--chaos-budget quick|standard|deep`` (default quick), ``--infra process|docker``,
``--chaos-reports DIR`` (default ./reports).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

_STATE = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("taskchaos", "taskchaos chaos runs")
    group.addoption("--chaos-budget", default=os.environ.get("TASKCHAOS_BUDGET", "quick"),
                    choices=("quick", "standard", "deep"), help="size of the chaos workloads (default: quick)")
    group.addoption("--infra", default=os.environ.get("TASKCHAOS_INFRA", "process"),
                    help="infra driver that runs the servers (default: process)")
    group.addoption("--chaos-expectations", default=os.environ.get("TASKCHAOS_EXPECTATIONS"),
                    help="expectations file (default: expectations.toml at the repository root)")
    group.addoption("--chaos-reports", default=os.environ.get("TASKCHAOS_REPORTS", "reports"),
                    help="directory for run reports (default: ./reports)")


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: a chaos cell (claim × fault × profile) run against real servers")
    workerinput = getattr(config, "workerinput", None)  # set in pytest-xdist workers
    if workerinput and "taskchaos_run_id" in workerinput:
        run_id, started = workerinput["taskchaos_run_id"], workerinput["taskchaos_started"]
    else:
        run_id, started = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}", time.time()
    config.stash[_STATE] = {"run_id": run_id, "started": started, "run_dir": None}
    os.environ.setdefault("TASKCHAOS_RUN_ID", run_id)  # the docker driver labels containers with it
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "taskchaos-xdist")


class _XdistHooks:
    """Registered only when pytest-xdist is present: every worker writes into the controller's run."""

    def pytest_configure_node(self, node):
        state = node.config.stash[_STATE]
        node.workerinput["taskchaos_run_id"] = state["run_id"]
        node.workerinput["taskchaos_started"] = state["started"]


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
        from chaos.cell import not_applicable, run_cell
        from chaos.infra import unavailable
        from chaos.profile import get_profile

        infra = infra or self.config.getoption("--infra")
        profile = get_profile(profile_spec)
        reason = not_applicable(fault, profile)
        if reason:
            pytest.skip(reason)
        reason = unavailable(infra)
        if reason:
            pytest.skip(f"--infra {infra} cannot run here: {reason}. Start a daemon with `.ci/docker-daemon.sh start` "
                        f"(as root: installs docker.io if needed)")
        expected = _expectations(self.config).expected(claim, fault, profile.name, profile.persistence)
        if expected not in (None, "holds"):
            # Only the final assertion is the expected failure: any other verdict than the expected
            # one (violated instead of unsupported, inconclusive instead of measured, ...) fails.
            self.request.node.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                                           reason=f"expectations.toml: {expected}"))
        run_dir = _run_dir(self.config)
        try:
            cell = run_cell(claim, fault, profile_spec, budget=self.config.getoption("--chaos-budget"),
                            infra=infra, run_dir=run_dir)
        except Exception as exc:
            errors = run_dir / "errors"
            errors.mkdir(exist_ok=True)
            (errors / f"{claim}-{fault}-{profile.id}-{infra}.json").write_text(json.dumps(
                {"cell": f"{claim}/{fault}/{profile.id} [{infra}]", "error": f"{type(exc).__name__}: {exc}"}))
            raise
        data = cell.to_json()
        data["expected"] = expected
        (cell.directory / "cell.json").write_text(json.dumps(data, indent=2, default=str))
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
            f"violating: {r.violating_keys}; replay: {v.evidence['replay']}")
        return cell


def _expectations(config):
    """The expectations file, validated against the known claims, faults and profiles (once)."""
    state = config.stash[_STATE]
    if "expectations" not in state:
        from chaos.judgement.claims import CLAIMS
        from chaos.judgement.expectations import EXPECTATIONS_FILE, Expectations
        from chaos.nemesis import fault_labels
        from chaos.profile import load_profiles

        path = config.getoption("--chaos-expectations") or EXPECTATIONS_FILE
        state["expectations"] = Expectations(Path(path), claims=list(CLAIMS), faults=["none", *fault_labels()],
                                             profiles=list(load_profiles()))
    return state["expectations"]


def pytest_collection_modifyitems(session, config, items):
    """Refuse a bad expectations file before anything runs."""
    if any("chaos" in getattr(item, "fixturenames", ()) for item in items):
        from chaos.judgement.expectations import ExpectationError

        try:
            _expectations(config)
        except ExpectationError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.fixture
def chaos(request):
    return ChaosFixture(request)


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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if not state or hasattr(config, "workerinput") or not _run_path(config).exists():
        return
    from chaos.report.json_report import build_report, write_report
    from chaos.report.table import outcome_summary, verdict_table

    run_dir = _run_dir(config)
    cells, errors = _collect(run_dir)
    if not (cells or errors):
        return
    report = build_report(run_id=state["run_id"], run_dir=run_dir, cells=cells,
                          started_wall=state["started"], budget=config.getoption("--chaos-budget"),
                          infra=config.getoption("--infra"), errors=errors,
                          argv=["pytest", *config.invocation_params.args])
    path = write_report(report, run_dir)
    tr = terminalreporter
    tr.section("taskchaos verdicts")
    tr.write_line(verdict_table(report["verdicts"]))
    tr.write_line("")
    tr.write_line("outcomes per cell (tasks):")
    tr.write_line(outcome_summary(cells))
    for err in errors:
        tr.write_line(f"ERROR {err['cell']}: {err['error']}")
    tr.write_line(f"report: {path}")


def pytest_sessionfinish(session, exitstatus):
    from chaos.infra import stop_everything

    stop_everything()
