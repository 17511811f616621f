"""One cell of the verdict matrix, end to end: claim × fault × profile@persistence.

Builds the claim's workload, brings up a fresh deployment in the cell's directory, runs the
scenario, checks, judges, and tears everything down. Used by the pytest plugin and the CLI.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

from chaos.infra import get_driver
from chaos.infra.deployment import Deployment
from chaos.judgement.checker import CheckResult, check
from chaos.judgement.claims import CLAIMS, Evidence
from chaos.judgement.verdict import Verdict, decide
from chaos.landing import missed, words
from chaos.report.words import drain_in_words
from chaos.nemesis import FAULTS, PHASES
from chaos.profile import Profile, get_profile
from chaos.records.ledger import read_ledger
from chaos.runner import RunError, run_scenario
from chaos.scenario import workloads
from chaos.scenario.model import Scenario
from chaos.system import env_prefix

NO_FAULT = "none"


def parse_fault(label: str) -> tuple[str, str]:
    """A cell's fault label → (fault name, phase): ``kill-worker`` → (kill-worker, run);
    ``latency-submit`` → (latency, submit). ``none`` → (none, run). A fault that strikes at a moment of
    its own (``strikes_at``, e.g. kill-broker) gets that phase."""
    for phase in PHASES:
        base = label.removesuffix(f"-{phase}")
        if base != label and base in FAULTS and FAULTS[base].window_s:
            return base, phase
    if label in FAULTS and FAULTS[label].window_s:
        raise RunError(f"fault {label!r} lasts a window: name its phase, {label}-submit or {label}-run")
    return label, (FAULTS[label].strikes_at if label in FAULTS else None) or "run"


def workload_for(claim: str, fault: str, budget: str) -> Scenario:
    """The claim's canonical workload for this fault (``chaos.scenario.workloads.WORKLOADS``)."""
    builder = workloads.WORKLOADS.get(claim)
    if builder is None:
        raise RunError(f"no workload for claim {claim!r} in chaos/scenario/workloads.py")
    name, phase = parse_fault(fault)
    return builder(name, phase, budget)


def cell_slug(claim: str, fault: str, profile: Profile, infra: str) -> str:
    suffix = "" if infra == "process" else f"-{infra}"
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", f"{claim}-{fault}-{profile.id}{suffix}")


@dataclass
class CellRun:
    verdict: Verdict
    check: CheckResult
    directory: Path
    duration_s: float
    phases: dict[str, float]  # wall seconds: up, workload, drain, down, judgement (bench/ and cell.json)

    def outcomes(self) -> dict[str, str]:
        """Each task's outcome, by key: what a replay must show again."""
        return {key: o.outcome for key, o in self.check.outcomes.items()}

    def summary_lines(self) -> list[str]:
        """The verdict, each task's outcome and attempts, the drain, and how to replay (CLI output)."""
        v = self.verdict
        lines = [f"{v.cell}: {v.short}"]
        for key, o in self.check.outcomes.items():
            attempts = ", ".join(f"#{a.number} pid {a.pid} {a.end or 'cut off'}" for a in o.attempts) or "never ran"
            status = (o.status or {}).get("state") if (o.status or {}).get("supported", True) else "no status API"
            lines.append(f"  {key}: {o.outcome:<15} submission={o.submission} status={status} attempts: {attempts}"
                         + (f" recovery {o.recovery_s}s" if o.recovery_s is not None else ""))
        if v.result.note:
            lines.append(f"  claim: {v.result.note}")
        for f in v.evidence.get("faults", []):
            lines.append(f"  fault hit: {f.get('name')}: {words(f.get('hit'))}")
        q = v.evidence["quiesce"]
        lines.append(f"  {drain_in_words(q)}")
        lines.append(f"  evidence: {self.directory}")
        lines.append(f"  replay:   {v.evidence['replay']}")
        return lines

    def to_json(self) -> dict:
        return {"cell": self.verdict.cell, "directory": str(self.directory), "duration_s": round(self.duration_s, 3),
                "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()},
                "verdict": self.verdict.to_json(), "check": self.check.to_json()}


def not_applicable(fault: str, profile: Profile) -> str | None:
    if fault == NO_FAULT:
        return None
    name, _ = parse_fault(fault)
    if name not in FAULTS:
        raise RunError(f"unknown fault {fault!r}; known: {NO_FAULT}, {', '.join(FAULTS)}")
    return FAULTS[name].not_applicable(profile)


def run_cell(claim: str, fault: str, profile_spec: str, *, budget: str, infra: str, run_dir: Path,
             scenario: Scenario | None = None, subdir: str | None = None, needs: dict | None = None) -> CellRun:
    """``subdir``: run inside ``cells/<cell>/<subdir>`` (one directory per example of a search).
    ``needs``: the deployment's needs in place of the claim's (bench/throughput.py varies the workers)."""
    if claim not in CLAIMS:
        raise RunError(f"unknown claim {claim!r}; known: {', '.join(CLAIMS)}")
    profile = get_profile(profile_spec)
    scenario = scenario or workload_for(claim, fault, budget)
    directory = Path(run_dir) / "cells" / cell_slug(claim, fault, profile, infra)
    if subdir:
        directory = directory / subdir
    if directory.exists():  # a run again under the same run id: its ledger and history must not mix with the last one's
        shutil.rmtree(directory)
    started = time.monotonic()
    driver = get_driver(infra)
    deployment = Deployment(profile, driver, directory, needs=CLAIMS[claim].needs if needs is None else needs)
    phases: dict[str, float] = {}
    mark = started
    try:
        deployment.up()
        phases["up"] = time.monotonic() - mark
        mark = time.monotonic()
        record = run_scenario(deployment, scenario, directory)
        phases["drain"] = record.quiesce.drained_s
        phases["workload"] = time.monotonic() - mark - phases["drain"]
    finally:
        mark = time.monotonic()
        deployment.down()
        driver.close()
        phases["down"] = time.monotonic() - mark
    mark = time.monotonic()
    ledger = read_ledger(deployment.ledger_dir)
    result = check(list(scenario.tasks), record.history, ledger)
    claim_result = CLAIMS[claim].judge(Evidence(list(scenario.tasks), result, ledger, record.history), profile)
    decided = decide(claim_result, profile.backend)
    missed_why = missed(record.history.faults())
    if missed_why:  # a fault that hit nothing it was meant to proves nothing, whatever the claim saw
        decided, claim_result = "inconclusive", replace(claim_result, note=missed_why)
    verdict = Verdict(claim=claim, fault=fault, profile=profile.name, persistence=profile.persistence,
                      backend=profile.backend, infra=infra, verdict=decided, result=claim_result,
                      evidence={"scenario": str(directory / "scenario.json"), "directory": str(directory),
                                "quiesce": record.quiesce.to_json(), "faults": record.history.faults(),
                                "hanging_submissions": record.history.hanging_submissions(),
                                "deployment": record.deployment,
                                "replay": f"{env_prefix()}taskchaos replay {directory / 'scenario.json'} --profile {profile.id} --claim {claim} "
                                          f"--fault {fault} --infra {infra}"})
    phases["judgement"] = time.monotonic() - mark
    cell = CellRun(verdict, result, directory, time.monotonic() - started, phases)
    (directory / "cell.json").write_text(json.dumps(cell.to_json(), indent=2, default=str))
    return cell
