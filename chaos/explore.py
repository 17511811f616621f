"""Explore: search generated scenarios for a counterexample to one claim, on real servers, and
shrink it to the smallest one — with shrinking bounded in time.

In a nutshell: Hypothesis draws scenarios (``chaos.scenario.strategies``); each example is a full
cell run (``chaos.cell.run_cell``) in its own directory, ``cells/<cell>/example-NNNN``; an example
fails when the claim is violated. Hypothesis then shrinks. Shrinking on real servers costs seconds
per example, so it is capped: once ``shrink_cap_s`` has passed since the first failure, new examples
are passed without running and the smallest failure so far stands ("shrink cap hit").

The run directory receives ``minimal-scenario.json`` (the smallest failing scenario, replayable with
``taskchaos replay``) and ``explore.json`` (the first failing scenario, the minimal one, each
example's verdict, the shrink time, whether the cap was hit, the seed, and the commands that repeat
the search and replay its result).

A scenario already run is never run again within one search: its first result is reused, so the
verdict Hypothesis sees for a scenario cannot flip between its tries.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given, reject, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from chaos.backends import get_backend
from chaos.cell import CellRun, NO_FAULT, not_applicable, parse_fault, run_cell
from chaos.profile import get_profile
from chaos.runner import RunError
from chaos.scenario.model import Scenario
from chaos.scenario.strategies import DATABASE_DIR, scenarios, search_settings

__all__ = ["Exploration", "explore", "SHRINK_CAP_S"]

SHRINK_CAP_S = {"quick": 60.0, "standard": 180.0, "deep": 600.0}


class ClaimViolated(AssertionError):
    """An example broke the claim: what Hypothesis shrinks."""


@dataclass
class Exploration:
    claim: str
    fault: str
    profile: str
    infra: str
    budget: str
    seed: int
    directory: Path
    examples: list[dict] = field(default_factory=list)  # one line per example actually run
    first_failing: Scenario | None = None
    minimal: Scenario | None = None
    minimal_outcomes: dict[str, str] | None = None
    minimal_directory: str | None = None
    shrink_s: float | None = None
    shrink_cap_s: float = 0.0
    cap_hit: bool = False
    error: str | None = None
    record_dir: Path | None = None  # where explore.json and minimal-scenario.json go (default: directory)
    decisive: CellRun | None = None  # the minimal failing example's cell, else the first example's

    @property
    def records(self) -> Path:
        return self.record_dir or self.directory

    @property
    def found(self) -> bool:
        return self.minimal is not None

    @property
    def minimal_path(self) -> Path:
        return self.records / "minimal-scenario.json"

    def explore_command(self) -> str:
        return (f"taskchaos explore {self.claim} {self.fault} {self.profile} --budget {self.budget} "
                f"--seed {self.seed} --infra {self.infra}")

    def replay_command(self) -> str:
        return (f"taskchaos replay {self.minimal_path} --profile {self.profile} --claim {self.claim} "
                f"--fault {self.fault} --infra {self.infra}")

    def to_json(self) -> dict:
        return {"claim": self.claim, "fault": self.fault, "profile": self.profile, "infra": self.infra,
                "budget": self.budget, "seed": self.seed, "found": self.found, "examples_run": len(self.examples),
                "examples": self.examples,
                "first_failing_scenario": self.first_failing.to_json() if self.first_failing else None,
                "minimal_scenario": self.minimal.to_json() if self.minimal else None,
                "minimal_outcomes": self.minimal_outcomes, "minimal_directory": self.minimal_directory,
                "shrink_s": self.shrink_s, "shrink_cap_s": self.shrink_cap_s, "shrink_cap_hit": self.cap_hit,
                "error": self.error, "explore": self.explore_command(),
                "replay": self.replay_command() if self.found else None}


def _describe(scenario: Scenario) -> str:
    parts = []
    for i, t in enumerate(scenario.tasks):
        bits = [f"{t.duration_s}s"]
        bits += [f"fail×{t.fail_times}"] if t.fail_times else []
        bits += [f"crash×{t.crash_times}"] if t.crash_times else []
        bits += [f"hold@{t.hold_at}"] if t.hold_at else []
        bits += [f"linger {t.hold_after_finish_s}s"] if t.hold_after_finish_s else []
        pause = scenario.pause_before_s(i)
        parts.append((f"+{pause}s " if pause else "") + f"{t.key}({', '.join(bits)})")
    faults = [f"{f.fault}@{f.at_key}:{f.at_event}" for f in scenario.faults]
    return " ".join(parts) + (f" | {', '.join(faults)}" if faults else "")


class _Search:
    """The body of the Hypothesis test: runs each new scenario once, remembers its result."""

    def __init__(self, result: Exploration, echo, strict: bool = False):
        self.result = result
        self.echo = echo
        self.strict = strict  # a scenario that cannot be played ends the search (a chaos cell's canonical workload)
        self.seen: dict[str, str | None] = {}  # scenario JSON -> violation message (None: passed)
        self.cells: dict[str, CellRun] = {}
        self.first_failure_mono: float | None = None
        self.aborted: BaseException | None = None

    def example(self, scenario: Scenario) -> None:
        r = self.result
        key = json.dumps(scenario.to_json(), sort_keys=True)
        if key in self.seen:
            return self._verdict(scenario, key)
        if self.aborted is not None:
            return  # an infra error ended the search: pass the rest without running
        if self.first_failure_mono is not None and time.monotonic() - self.first_failure_mono > r.shrink_cap_s:
            r.cap_hit = True  # bounded shrinking: the smallest failure so far stands
            return
        number = len(r.examples) + 1
        started = time.monotonic()
        try:
            cell = run_cell(r.claim, r.fault, r.profile, budget=r.budget, infra=r.infra, run_dir=r.directory,
                            scenario=scenario, subdir=f"example-{number:04d}")
        except RunError as exc:  # the plan could not be played (e.g. a trigger never came): no verdict
            if self.strict:
                self.aborted = exc
                r.error = f"{type(exc).__name__}: {exc}"
                return
            r.examples.append({"example": number, "scenario": _describe(scenario), "error": str(exc)})
            self.echo(f"  example {number}: {_describe(scenario)} → not playable: {exc}")
            self.seen[key] = "reject"
            reject()
        except Exception as exc:  # noqa: BLE001 — an infra failure is not a counterexample: stop searching
            self.aborted = exc
            r.error = f"{type(exc).__name__}: {exc}"
            self.echo(f"  example {number}: {_describe(scenario)} → error, search stopped: {r.error}")
            return
        v = cell.verdict
        violated = v.verdict in ("violated", "not-claimed")
        r.examples.append({"example": number, "scenario": _describe(scenario), "verdict": v.short,
                           "violating": v.result.violating_keys, "outcomes": cell.outcomes(),
                           "directory": str(cell.directory), "duration_s": round(time.monotonic() - started, 3)})
        self.echo(f"  example {number}: {_describe(scenario)} → {v.short}"
                  + (f" ({', '.join(v.result.violating_keys)})" if violated else "")
                  + f" [{time.monotonic() - started:.1f} s]")
        self.cells[key] = cell
        if r.decisive is None:
            r.decisive = cell
        self.seen[key] = (f"{v.cell}: {v.short}; violating: {v.result.violating_keys}; outcomes: {cell.outcomes()}"
                          if violated else None)
        if violated and self.first_failure_mono is None:
            self.first_failure_mono = time.monotonic()
            r.first_failing = scenario
        return self._verdict(scenario, key)

    def _verdict(self, scenario: Scenario, key: str) -> None:
        message = self.seen[key]
        if message == "reject":
            reject()
        if message is None:
            return
        # Hypothesis only tries smaller examples after the first failure and ends by replaying its
        # minimal one, so the last failing call is the minimal scenario.
        r = self.result
        r.minimal = scenario
        r.minimal_outcomes = self.cells[key].outcomes()
        r.minimal_directory = str(self.cells[key].directory)
        r.decisive = self.cells[key]
        raise ClaimViolated(message)


def explore(claim: str, fault: str, profile_spec: str, *, budget: str = "quick", infra: str = "process",
            run_dir: Path, seed_value: int | None = None, shrink_cap_s: float | None = None,
            max_examples: int | None = None, database_dir: Path | None = DATABASE_DIR,
            echo=print, strategy=None, record_dir: Path | None = None, strict: bool = False) -> Exploration:
    """Search for a scenario that violates ``claim`` under ``fault`` (a cell's fault label, or
    ``none``) on ``profile_spec``; shrink it within ``shrink_cap_s``; write the results to ``run_dir``.

    ``seed_value``: the Hypothesis seed (None: a fresh one, printed). ``database_dir``: Hypothesis's
    example database (None: none); ignored by the derandomised ``quick`` budget. ``strategy``: where
    scenarios come from (default: ``chaos.scenario.strategies.scenarios`` for the fault; a chaos cell
    passes the variations of its claim's workload). ``record_dir``: where explore.json and
    minimal-scenario.json go (default ``run_dir``). ``strict``: a scenario that cannot be played
    ends the search with that error instead of being skipped."""
    profile = get_profile(profile_spec)
    reason = not_applicable(fault, profile)
    if reason:
        raise RunError(f"{fault} does not apply to {profile.id}: {reason}")
    fault_name, phase = (None, "run") if fault == NO_FAULT else parse_fault(fault)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_value = random.getrandbits(32) if seed_value is None else seed_value
    result = Exploration(claim, fault, profile.id, infra, budget, seed_value, run_dir,
                         shrink_cap_s=SHRINK_CAP_S[budget] if shrink_cap_s is None else shrink_cap_s,
                         record_dir=Path(record_dir) if record_dir else None)
    result.records.mkdir(parents=True, exist_ok=True)
    search = _Search(result, echo, strict)
    if strategy is None:
        strategy = scenarios(fault_name, phase, crashes=not get_backend(profile.backend).crash_takes_target)  # no crashes where one takes the target down

    def search_scenarios(scenario):
        search.example(scenario)

    # One database entry per cell, not one for every search (the body's source is the same for all):
    # the hook Hypothesis's own stateful tests use to add to a test's database key.
    search_scenarios._hypothesis_internal_add_digest = f"{claim}/{fault}/{profile.id}/{infra}".encode()
    base = search_settings(budget)
    overrides = {} if max_examples is None else {"max_examples": max_examples}
    if not base.derandomize:
        overrides["database"] = DirectoryBasedExampleDatabase(str(database_dir)) if database_dir else None
    test = settings(base, **overrides)(seed(seed_value)(given(strategy)(search_scenarios)))
    echo(f"explore {claim}/{fault}/{profile.id} [{infra}]: budget {budget}, seed {seed_value}, "
         f"shrink cap {result.shrink_cap_s:.0f} s; examples in {run_dir}")
    try:
        test()
    except ClaimViolated:
        pass
    if search.first_failure_mono is not None:
        result.shrink_s = round(time.monotonic() - search.first_failure_mono, 3)
    if result.minimal is not None:
        result.minimal.save(result.minimal_path)
    (result.records / "explore.json").write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    if search.aborted is not None:
        raise search.aborted
    _report(result, echo)
    return result


def _report(r: Exploration, echo) -> None:
    echo(f"seed: {r.seed}   repeat: {r.explore_command()}")
    if not r.found:
        echo(f"no counterexample in {len(r.examples)} examples: {r.claim} held on every scenario tried")
        return
    echo(f"first failing: {_describe(r.first_failing)}")
    echo(f"minimal:       {_describe(r.minimal)}  → {r.minimal_outcomes}")
    echo(f"shrinking took {r.shrink_s} s over {len(r.examples)} examples run"
         + (f"; shrink cap hit ({r.shrink_cap_s:.0f} s): the minimal scenario may not be the smallest" if r.cap_hit else ""))
    echo(f"minimal scenario: {r.minimal_path}")
    echo(f"replay: {r.replay_command()}")
