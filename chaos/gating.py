"""Gate a run directory: its report.json against the expectations file (validated against the
claims, faults and profiles this checkout knows), writing ``junit.xml`` and ``summary.md`` into the
run directory (or where asked). Used at the end of every pytest chaos run and by ``taskchaos gate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chaos.judgement.expectations import EXPECTATIONS_FILE, Expectations
from chaos.judgement.gate import GateResult, gate
from chaos.report.junit import junit_xml
from chaos.report.matrix import build_matrix
from chaos.report.summary import summary_markdown
from chaos.renames import upgrade_report

VERDICT_KEYS = ("claim", "fault", "profile", "persistence", "verdict")


class GateInputError(ValueError):
    """A run directory or report that cannot be gated (exit 2 of ``taskchaos gate``)."""


def load_expectations(path: str | Path | None = None) -> Expectations:
    """The expectations file, refused (ExpectationError, with file and line) when it names a claim,
    fault, profile, persistence mode or verdict this checkout does not know."""
    from chaos.judgement.claims import CLAIMS
    from chaos.nemesis import fault_labels
    from chaos.profile import load_profiles

    from chaos.judgement.expectations import ExpectationError
    from chaos.system import system_expectations

    theirs = system_expectations() if path is None else None
    if theirs is not None and not theirs.exists():
        raise ExpectationError(f"{theirs}: the system judged has no expectations file yet. For a first run create it "
                               f"empty (touch {theirs}): every cell then fails as having no expectation, and "
                               f"`taskchaos expectations reports/latest > {theirs}` writes what the run observed")
    return Expectations(Path(path or theirs or EXPECTATIONS_FILE), claims=list(CLAIMS), faults=["none", *fault_labels()],
                        profiles=list(load_profiles()))


def load_report(run_dir: str | Path) -> tuple[Path, dict]:
    """(run directory, report) from a run directory or its report.json."""
    path = Path(run_dir)
    report_path = path / "report.json" if path.is_dir() else path
    if not report_path.exists():
        raise GateInputError(f"no report.json at {report_path}: pass a run directory such as reports/latest "
                             f"(a finished pytest chaos run or `taskchaos cell` writes one)")
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError) as exc:
        raise GateInputError(f"{report_path}: not a readable report.json ({exc})") from exc
    if not isinstance(report, dict) or not isinstance(report.get("verdicts"), list):
        raise GateInputError(f"{report_path}: no 'verdicts' list: not a taskchaos report.json")
    for i, v in enumerate(report["verdicts"]):
        missing = [k for k in VERDICT_KEYS if not isinstance(v, dict) or k not in v]
        if missing:
            raise GateInputError(f"{report_path}: verdicts[{i}] lacks {', '.join(missing)}: not a taskchaos verdict")
    return report_path.parent.resolve(), upgrade_report(report)  # faults renamed since are read as named now


@dataclass
class GateRun:
    result: GateResult
    matrix: dict
    junit: Path
    summary: Path


def gate_report(run_dir: Path, report: dict, expectations: Expectations, *, junit: str | Path | None = None,
                summary: str | Path | None = None) -> GateRun:
    """Judge ``report`` and write junit.xml and summary.md (default: into ``run_dir``)."""
    from chaos.profile import load_profiles

    selection = report.get("selection") or {"subset": True, "why": ["report.json does not say: treated as a subset"]}
    profiles = load_profiles()
    budget = report.get("budget")

    def left_out(claim, fault, profile, mode):
        return profiles[profile].left_out_by(budget, claim, fault, mode) if profile in profiles and budget else None

    result = gate(report["verdicts"], expectations, subset=bool(selection.get("subset", True)),
                  errors=report.get("errors") or [], left_out=left_out)
    matrix = build_matrix(report["verdicts"], list(report.get("profiles") or load_profiles()))
    junit_path = Path(junit) if junit else run_dir / "junit.xml"
    summary_path = Path(summary) if summary else run_dir / "summary.md"
    for path in (junit_path, summary_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    times = {c["cell"]: float(c["duration_s"]) for c in report.get("cells") or []
             if isinstance(c, dict) and "cell" in c and "duration_s" in c}
    junit_path.write_text(junit_xml(result, times=times))
    summary_path.write_text(summary_markdown(result, matrix, run_dir=str(run_dir), run_id=report.get("run_id")))
    return GateRun(result, matrix, junit_path, summary_path)
