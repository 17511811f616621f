"""The gate: a run's observed verdicts against ``expectations.toml``, cell by cell.

Input is data only — the verdicts of a run as report.json stores them (``report["verdicts"]``), the
cells that crashed (``report["errors"]``), and whether the run was a subset of the suite — so a
stored run can be re-judged without running anything again.

A cell is ``changed`` when its observed verdict differs from the expected one, in either direction
(a violation expected to hold, a pass expected to fail — so the file stays true). A cell with no
expectation fails too (add the line the message names). An expected cell that was not run fails a
full run and is only reported for a subset. ``measured`` cells (throughput) compare the verdict
word only, never a number. A cell that crashed fails the gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.judgement.expectations import Expectations

PASS, CHANGED, NO_EXPECTATION, NOT_RUN = "pass", "changed", "no-expectation", "not-run"
LEFT_OUT_NOTE = "left out by the run's budget (profiles' quick_cells): informational; --chaos-budget standard runs them"


@dataclass
class GateCell:
    claim: str
    fault: str
    profile: str
    persistence: str | None  # None: an expectation that holds for every persistence mode
    status: str  # pass / changed / no-expectation / not-run
    expected: str | None = None
    observed: str | None = None  # the verdict word
    short: str | None = None  # the verdict with its counts, e.g. "violated 1/5"
    infra: str = "process"
    replay: str | None = None
    failing: bool = False
    left_out: str | None = None  # why the run's budget does not run it (a not-run cell that fails nothing)

    @property
    def name(self) -> str:
        """``fault/profile@persistence`` (JUnit test name; the claim is the class name)."""
        name = f"{self.fault}/{self.profile}" + (f"@{self.persistence}" if self.persistence else "")
        return name + ("" if self.infra == "process" else f" [{self.infra}]")

    @property
    def cell(self) -> str:
        return f"{self.claim}/{self.name}"

    @property
    def message(self) -> str:
        if self.status == PASS:
            return f"{self.cell}: {self.short} as expected"
        if self.status == CHANGED:
            return f"{self.cell}: expected {self.expected}, observed {self.short} — replay: {self.replay}"
        if self.status == NO_EXPECTATION:
            return (f"{self.cell}: no expectation; observed {self.short} — if that is what it must show, add "
                    f"{self.profile} = \"{self.observed}\" under [{self.claim}.{self.fault}] (or {self.persistence} = "
                    f"\"{self.observed}\" in its persistence table) — replay: {self.replay}")
        if self.left_out:
            return f"{self.cell}: expected {self.expected}, not run: {self.left_out}"
        scope = "" if self.failing else " (informational: the run was a subset of the suite)"
        return f"{self.cell}: expected {self.expected}, not run{scope}"

    def to_json(self) -> dict:
        return {"cell": self.cell, "claim": self.claim, "fault": self.fault, "profile": self.profile,
                "persistence": self.persistence, "infra": self.infra, "status": self.status, "failing": self.failing,
                "expected": self.expected, "observed": self.observed, "short": self.short, "replay": self.replay,
                "left_out": self.left_out, "message": self.message}


@dataclass
class GateResult:
    expectations: str
    subset: bool
    cells: list[GateCell] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # cells that crashed: {"cell", "error"}

    def _with(self, status: str) -> list[GateCell]:
        return [c for c in self.cells if c.status == status]

    @property
    def changed(self) -> list[GateCell]:
        return self._with(CHANGED)

    @property
    def no_expectation(self) -> list[GateCell]:
        return self._with(NO_EXPECTATION)

    @property
    def not_run(self) -> list[GateCell]:
        return self._with(NOT_RUN)

    @property
    def budget_left_out(self) -> list[GateCell]:
        """The expected cells not run because the run's budget leaves them out (they fail nothing)."""
        return [c for c in self.not_run if c.left_out]

    @property
    def passed(self) -> bool:
        return not self.errors and not any(c.failing for c in self.cells)

    def lines(self) -> list[str]:
        """What a person reads: the decision, then every cell that is not a plain pass."""
        observed = [c for c in self.cells if c.status != NOT_RUN]
        budget_left = self.budget_left_out
        not_run = [c for c in self.not_run if not c.left_out]
        head = (f"gate: {'PASS' if self.passed else 'FAIL'} — {len(observed)} cells observed, "
                f"{len(self._with(PASS))} as expected, {len(self.changed)} changed, "
                f"{len(self.no_expectation)} without expectation, {len(not_run)} expected but not run"
                + (" (subset run)" if self.subset else "")
                + (f", {len(budget_left)} left out by the budget" if budget_left else "")
                + f", {len(self.errors)} crashed; expectations: {self.expectations}")
        out = [head]
        out += [f"  CHANGED {c.message}" for c in self.changed]
        out += [f"  NO EXPECTATION {c.message}" for c in self.no_expectation]
        out += [f"  CRASHED {e['cell']}: {e['error']}" for e in self.errors]
        if self.subset and not_run:
            out.append(f"  {len(not_run)} expected cells not run: informational, the run was a subset of the "
                       f"suite (listed as skipped in junit.xml and in summary.md)")
        else:
            out += [f"  NOT RUN {c.message}" for c in not_run]
        if budget_left:
            out.append(f"  {len(budget_left)} expected cells {LEFT_OUT_NOTE}")
        return out

    def to_json(self) -> dict:
        return {"passed": self.passed, "expectations": self.expectations, "subset": self.subset,
                "cells": [c.to_json() for c in self.cells], "errors": self.errors}


def gate(verdicts: list[dict], expectations: Expectations, *, subset: bool, errors: list[dict] = (),
         left_out=None) -> GateResult:
    """Judge a run's verdicts (report.json's ``verdicts``) against ``expectations``. ``left_out(claim,
    fault, profile, mode)``: why the run's budget does not run a cell (None: it does); an expected cell
    it leaves out is listed, and fails nothing."""
    result = GateResult(str(expectations.path), subset, errors=list(errors))
    seen: set[tuple[str, str, str, str]] = set()
    for v in verdicts:
        claim, fault, profile, mode = v["claim"], v["fault"], v["profile"], v["persistence"]
        seen.add((claim, fault, profile, mode))
        expected = expectations.expected(claim, fault, profile, mode)
        if expected is None:
            status = NO_EXPECTATION
        else:
            status = PASS if v["verdict"] == expected else CHANGED
        result.cells.append(GateCell(claim, fault, profile, mode, status, expected, v["verdict"], v.get("short", v["verdict"]),
                                     v.get("infra", "process"), v.get("evidence", {}).get("replay"),
                                     failing=status != PASS))
    for claim, fault, profile, mode, expected in expectations.entries():
        ran = any(s[:3] == (claim, fault, profile) and (mode is None or s[3] == mode) for s in seen)
        if not ran:
            why = left_out(claim, fault, profile, mode) if left_out else None
            result.cells.append(GateCell(claim, fault, profile, mode, NOT_RUN, expected, failing=not subset and not why,
                                         left_out=why))
    return result
