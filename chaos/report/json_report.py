"""report.json: every cell's verdict and evidence, every task's outcome with its ledger attempts and
status answers, the faults applied, the profiles' settings, versions, the command line, whether the
run was a subset of the suite (``selection``) and the verdict matrix (``matrix``). Writing it points
``reports/latest`` at the run."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from chaos.profile import load_profiles
from chaos.report.matrix import build_matrix
from chaos.report.versions import git_revision, versions

REPO_ROOT = Path(__file__).resolve().parents[2]


def build_report(*, run_id: str, run_dir: Path, cells: list[dict], started_wall: float, budget: str, infra: str,
                 errors: list[dict], argv: list[str] | None = None, selection: dict | None = None,
                 seed: int | None = None) -> dict:
    """``selection``: ``{"subset": bool, "why": [...]}`` — whether the run left out part of the suite
    (the gate then reports expected cells that were not run without failing on them)."""
    profiles = load_profiles()
    verdicts = [c["verdict"] for c in cells]
    return {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_wall)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": argv if argv is not None else sys.argv,
        "cwd": os.getcwd(),
        "git_revision": git_revision(REPO_ROOT),
        "budget": budget,
        "seed": seed,  # Hypothesis seed of the scenario search (the quick budget is derandomised)
        "infra": infra,
        "versions": versions(),
        "profiles": {name: p.describe() for name, p in profiles.items()},
        "selection": selection or {"subset": True, "why": ["not recorded"]},
        "matrix": build_matrix(verdicts, list(profiles)),
        "verdicts": verdicts,
        "cells": cells,
        "errors": errors,
        "lost_means": "not completed and not visibly failed within each cell's drain deadline "
                      "(cells[].verdict.evidence.quiesce.deadline_s) after healing",
    }


def write_report(report: dict, run_dir: Path, *, latest: bool = True) -> Path:
    """Write report.json; ``latest``: point ``<reports>/latest`` at this run (a symlink, swapped atomically)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "report.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if not latest:
        return path
    latest = run_dir.parent / "latest"
    tmp = run_dir.parent / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    tmp.replace(latest)
    return path
