"""Explore: search generated scenarios for a counterexample to one claim, on real servers, and
shrink it to the smallest one — with shrinking bounded in time.

In a nutshell: Hypothesis draws scenarios (``chaos.scenario.strategies``); each example is a full
cell run (``chaos.cell.run_cell``) in its own directory, ``cells/<cell>/example-NNNN``; an example
fails when the claim is violated. Hypothesis then shrinks. Shrinking on real servers costs seconds
per example, so it is capped, and the cap is a hard limit: once ``shrink_cap_s`` has passed since the
first failure, no example starts — the test raises ``ShrinkCapReached``, a ``BaseException`` that
Hypothesis does not take for a failure to shrink, so the search ends at once ("shrink cap hit") and
overruns the cap by at most the one example that was running when it passed.

The minimal scenario is tracked here, not taken from Hypothesis's last call: the smallest of every
failing example run (``chaos.scenario.variations.scenario_size``: fewer tasks, then fewer differences
from the canonical workload when the search has one, then simpler tasks), so a cut-short search still
reports the smallest failure it saw, and ``differs_from_canonical`` says what that one added or changed.

``search_cell`` is a chaos cell end to end (the pytest plugin and ``taskchaos cell``): the cell's
corpus entries first (``chaos.corpus``), then the canonical workload and its variations; the verdict
is the decisive example's — the smallest violating scenario among the corpus replays and the search,
else the canonical workload's.

The run directory receives ``minimal-scenario.json`` (the smallest failing scenario, replayable with
``taskchaos replay``) and ``explore.json`` (the first failing scenario, the minimal one, each
example's verdict, the shrink time, whether the cap was hit, the seed, the versions, and the commands
that repeat the search and replay its result; ``taskchaos corpus add`` reads it).

A scenario already run is never run again within one search: its first result is reused, so the
verdict Hypothesis sees for a scenario cannot flip between its tries.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import example, given, reject, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from chaos.backends import get_backend
from chaos.cell import CellRun, NO_FAULT, cell_slug, not_applicable, parse_fault, run_cell, workload_for
from chaos.profile import get_profile
from chaos.system import env_prefix
from chaos.runner import RunError
from chaos.scenario.model import Scenario
from chaos.scenario.strategies import DATABASE_DIR, scenarios, search_settings
from chaos.scenario.variations import differences, scenario_size

__all__ = ["CellSearch", "Exploration", "SHRINK_CAP_S", "ShrinkCapReached", "explore", "search_cell"]

SHRINK_CAP_S = {"quick": 60.0, "standard": 180.0, "deep": 600.0}


class ClaimViolated(AssertionError):
    """An example broke the claim: what Hypothesis shrinks."""


class _SearchStopped(BaseException):
    """Ends the Hypothesis run from inside its test: not an ``Exception``, so Hypothesis does not
    shrink it as a failure (like KeyboardInterrupt, it passes through)."""


class ShrinkCapReached(_SearchStopped):
    """The shrink cap has passed since the first failure: the smallest failure so far stands."""


class _Aborted(_SearchStopped):
    """An example could not be run (an infra error, or an unplayable scenario in strict mode)."""


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
    minimal_verdict: str | None = None
    failing_examples: int = 0  # how many examples run broke the claim (the minimal is the smallest of them)
    canonical: Scenario | None = None  # the cell's canonical workload, when the search varies one
    shrink_s: float | None = None
    shrink_cap_s: float = 0.0
    cap_hit: bool = False
    error: str | None = None
    record_dir: Path | None = None  # where explore.json and minimal-scenario.json go (default: directory)
    decisive: CellRun | None = None  # the minimal failing example's cell, else the first example's
    decisive_scenario: Scenario | None = None
    first_scenario: Scenario | None = None  # the first example run (a cell's: its canonical workload, see search_cell)

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
        return (f"{env_prefix()}taskchaos explore {self.claim} {self.fault} {self.profile} --budget {self.budget} "
                f"--seed {self.seed} --infra {self.infra}")

    def replay_command(self) -> str:
        return (f"{env_prefix()}taskchaos replay {self.minimal_path} --profile {self.profile} --claim {self.claim} "
                f"--fault {self.fault} --infra {self.infra}")

    def to_json(self) -> dict:
        return {"claim": self.claim, "fault": self.fault, "profile": self.profile, "infra": self.infra,
                "budget": self.budget, "seed": self.seed, "found": self.found, "examples_run": len(self.examples),
                "examples": self.examples,
                "first_failing_scenario": self.first_failing.to_json() if self.first_failing else None,
                "minimal_scenario": self.minimal.to_json() if self.minimal else None,
                "minimal_outcomes": self.minimal_outcomes, "minimal_directory": self.minimal_directory,
                "minimal_verdict": self.minimal_verdict, "failing_examples": self.failing_examples,
                "differs_from_canonical": self.differs_from_canonical(),
                "shrink_s": self.shrink_s, "shrink_cap_s": self.shrink_cap_s, "shrink_cap_hit": self.cap_hit,
                "shrink_note": self.shrink_note(),
                "error": self.error, "explore": self.explore_command(),
                "replay": self.replay_command() if self.found else None}


    def differs_from_canonical(self) -> dict | None:
        if self.minimal is None or self.canonical is None:
            return None
        return differences(self.minimal, self.canonical)

    def shrink_note(self) -> str | None:
        """In words, when the cap cut shrinking short."""
        if not self.cap_hit:
            return None
        return (f"shrink cap hit: shrinking stopped {self.shrink_s} s after the first failure (cap "
                f"{self.shrink_cap_s:g} s); the minimal scenario is the smallest of the {self.failing_examples} "
                f"failing examples run, not necessarily the smallest there is")


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
    """The body of the Hypothesis test: runs each new scenario once, remembers its result, and keeps
    the smallest failing one."""

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
            return self._verdict(key)
        if self.first_failure_mono is not None and time.monotonic() - self.first_failure_mono >= r.shrink_cap_s:
            r.cap_hit = True  # a hard limit: no example starts past it
            raise ShrinkCapReached()
        number = len(r.examples) + 1
        started = time.monotonic()
        try:
            cell = run_cell(r.claim, r.fault, r.profile, budget=r.budget, infra=r.infra, run_dir=r.directory,
                            scenario=scenario, subdir=f"example-{number:04d}")
        except RunError as exc:  # the plan could not be played (e.g. a trigger never came): no verdict
            if self.strict:
                self._abort(exc)
            r.examples.append({"example": number, "scenario": _describe(scenario), "error": str(exc)})
            self.echo(f"  example {number}: {_describe(scenario)} → not playable: {exc}")
            self.seen[key] = "reject"
            reject()
        except Exception as exc:  # noqa: BLE001 — an infra failure is not a counterexample: stop searching
            self.echo(f"  example {number}: {_describe(scenario)} → error, search stopped: {type(exc).__name__}: {exc}")
            self._abort(exc)
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
            r.decisive, r.decisive_scenario, r.first_scenario = cell, scenario, scenario
        self.seen[key] = (f"{v.cell}: {v.short}; violating: {v.result.violating_keys}; outcomes: {cell.outcomes()}"
                          if violated else None)
        if violated:
            if self.first_failure_mono is None:
                self.first_failure_mono = time.monotonic()
                r.first_failing = scenario
            r.failing_examples += 1
            self._keep_if_smallest(scenario, cell)
        return self._verdict(key)

    def _abort(self, exc: BaseException):
        self.aborted = exc
        self.result.error = f"{type(exc).__name__}: {exc}"
        raise _Aborted() from exc

    def _keep_if_smallest(self, scenario: Scenario, cell: CellRun) -> None:
        r = self.result
        if r.minimal is not None and scenario_size(scenario, r.canonical) >= scenario_size(r.minimal, r.canonical):
            return
        r.minimal, r.minimal_outcomes, r.minimal_directory = scenario, cell.outcomes(), str(cell.directory)
        r.minimal_verdict, r.decisive, r.decisive_scenario = cell.verdict.short, cell, scenario

    def _verdict(self, key: str) -> None:
        message = self.seen[key]
        if message == "reject":
            reject()
        if message is not None:
            raise ClaimViolated(message)


def explore(claim: str, fault: str, profile_spec: str, *, budget: str = "quick", infra: str = "process",
            run_dir: Path, seed_value: int | None = None, shrink_cap_s: float | None = None,
            max_examples: int | None = None, database_dir: Path | None = DATABASE_DIR,
            echo=print, strategy=None, record_dir: Path | None = None, strict: bool = False,
            canonical: Scenario | None = None) -> Exploration:
    """Search for a scenario that violates ``claim`` under ``fault`` (a cell's fault label, or
    ``none``) on ``profile_spec``; shrink it within ``shrink_cap_s``; write the results to ``run_dir``.

    ``seed_value``: the Hypothesis seed (None: a fresh one, printed). ``database_dir``: Hypothesis's
    example database (None: none); ignored by the derandomised ``quick`` budget. ``strategy``: where
    scenarios come from (default: ``chaos.scenario.strategies.scenarios`` for the fault; a chaos cell
    passes the variations of its claim's workload). ``record_dir``: where explore.json and
    minimal-scenario.json go (default ``run_dir``). ``strict``: a scenario that cannot be played
    ends the search with that error instead of being skipped. ``canonical``: the workload the
    strategy varies (a chaos cell's), what "smallest" and ``differs_from_canonical`` are measured from."""
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
                         record_dir=Path(record_dir) if record_dir else None, canonical=canonical)
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
    test = given(strategy)(search_scenarios)
    if canonical is not None:
        # The canonical workload runs first in every budget, as an explicit example: Hypothesis plays
        # explicit examples before it replays its database (which may hold another search's failure)
        # and before it generates, so a cell's canonical verdict never depends on what ran before.
        test = example(canonical)(test)
    test = settings(base, **overrides)(seed(seed_value)(test))
    echo(f"explore {claim}/{fault}/{profile.id} [{infra}]: budget {budget}, seed {seed_value}, "
         f"shrink cap {result.shrink_cap_s:.0f} s; examples in {run_dir}")
    try:
        test()
    except (ClaimViolated, _SearchStopped):  # the minimal failure is in result, however the search ended
        pass
    if search.first_failure_mono is not None:
        result.shrink_s = round(time.monotonic() - search.first_failure_mono, 3)
    if result.minimal is not None:
        result.minimal.save(result.minimal_path)
    from chaos.report.versions import git_revision, versions

    record = result.to_json() | {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "versions": versions(),
                                 "git": git_revision(Path(__file__).resolve().parents[1])}
    (result.records / "explore.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    if search.aborted is not None:
        raise search.aborted
    _report(result, echo)
    return result


def _report(r: Exploration, echo) -> None:
    echo(f"seed: {r.seed}   repeat: {r.explore_command()}")
    if not r.found:
        echo(f"the search found no counterexample in {len(r.examples)} examples: {r.claim} held on every scenario it tried")
        return
    echo(f"first failing: {_describe(r.first_failing)}")
    echo(f"minimal:       {_describe(r.minimal)}  → {r.minimal_outcomes}")
    if r.canonical is not None:
        echo(f"differs from the canonical workload: {differences(r.minimal, r.canonical)['words']}")
    echo(f"shrinking took {r.shrink_s} s over {len(r.examples)} examples run ({r.failing_examples} failing)"
         + (f"; {r.shrink_note()}" if r.cap_hit else ""))
    echo(f"minimal scenario: {r.minimal_path}")
    echo(f"replay: {r.replay_command()}")


# -- a chaos cell: corpus replays, then the canonical workload and its variations ---------------------

@dataclass
class CellSearch:
    """A cell as every budget runs it. ``decisive``: the cell whose verdict is the cell's; ``source``:
    where its scenario came from (``corpus``, ``canonical``, ``search``); ``record``: cell.json's ``search``."""

    decisive: CellRun
    source: str
    exploration: Exploration
    replays: list  # chaos.corpus.Replay, in corpus order
    record: dict

    def cell_json(self) -> dict:
        return self.decisive.to_json() | {"search": self.record}

    def write(self, **extra) -> Path:
        """The cell's ``cell.json`` (``cells/<cell>/cell.json``: what report.json and ``taskchaos corpus add`` read)."""
        path = self.exploration.records / "cell.json"
        path.write_text(json.dumps(self.cell_json() | extra, indent=2, default=str))
        return path

    def corpus_lines(self) -> list[str]:
        """What a run says about the corpus for this cell (nothing when it has no entry)."""
        return [r.words() for r in self.replays]


def search_cell(claim: str, fault: str, profile_spec: str, *, budget: str, infra: str, run_dir: Path,
                seed_value: int, corpus_dir: Path | str | None = None, repeat: str | None = None,
                echo=lambda line: None, strategy=None, database_dir: Path | None = DATABASE_DIR) -> CellSearch:
    """Run one chaos cell: replay its corpus entries (``chaos.corpus``; ``corpus_dir`` default
    ``corpus_root()``), then search the variations of its claim's workload with the budget's example
    count and shrink cap (``chaos.scenario.variations``; ``strategy`` replaces those variations).
    The decisive example is the smallest violating scenario among the replays and the search's
    minimal (ties: the search's), else the search's first example — the canonical workload.
    ``database_dir``: Hypothesis's example database of the standard and deep budgets (as for ``explore``)."""
    from chaos.corpus import VIOLATING, corpus_root, entries_for, entry_path, replay
    from chaos.scenario.variations import CELL_EXAMPLES, CELL_SHRINK_CAP_S, cell_strategy

    from chaos.renames import current_fault

    profile = get_profile(profile_spec)
    fault = current_fault(fault)
    fault_name, phase = parse_fault(fault)
    run_dir = Path(run_dir)
    record_dir = run_dir / "cells" / cell_slug(claim, fault, profile, infra)
    root = corpus_root(corpus_dir)
    replays = replay(entries_for(root, claim, fault, profile.id, infra), claim, fault, profile.id, budget=budget,
                     infra=infra, run_dir=run_dir, echo=echo)
    canonical = workload_for(claim, fault, budget)
    result = explore(claim, fault, profile.id, budget=budget, infra=infra, run_dir=run_dir, record_dir=record_dir,
                     seed_value=seed_value,
                     strategy=cell_strategy(claim, fault_name, phase, budget) if strategy is None else strategy,
                     max_examples=CELL_EXAMPLES[budget], shrink_cap_s=CELL_SHRINK_CAP_S[budget], strict=True,
                     echo=echo, canonical=canonical, database_dir=database_dir)
    if result.decisive is None:
        raise RunError(result.error or f"{claim}/{fault}/{profile.id}: the search ran no scenario")

    def origin(scenario: Scenario) -> str:
        return "canonical" if scenario == canonical else "search"

    candidates = [(result.minimal, result.decisive, origin(result.minimal), None)] if result.found else []
    candidates += [(r.entry.scenario, r.cell, "corpus", r.entry.id) for r in replays if r.reproduces]
    if candidates:
        scenario, decisive, source, entry = min(candidates, key=lambda c: scenario_size(c[0], canonical))
    else:
        scenario, decisive, source, entry = result.decisive_scenario, result.decisive, origin(result.decisive_scenario), None
    first = next((e for e in result.examples if "verdict" in e), {})
    stale = [r.entry.id for r in replays if not r.reproduces]
    record = {
        "budget": budget, "seed": seed_value, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "examples_run": len(result.examples), "found": result.found, "failing_examples": result.failing_examples,
        # the first example is the canonical workload (an explicit example: see explore)
        "canonical_verdict": first.get("verdict") if result.first_scenario == canonical else None,
        "shrink_s": result.shrink_s, "shrink_cap_s": result.shrink_cap_s, "shrink_cap_hit": result.cap_hit,
        "shrink_note": result.shrink_note(),
        "first_failing": result.first_failing.to_json() if result.first_failing else None,
        "minimal_scenario": str(result.minimal_path) if result.found else None,
        "minimal_verdict": result.minimal_verdict, "minimal_outcomes": result.minimal_outcomes,
        "decisive": {"source": source, "entry": entry, "verdict": decisive.verdict.short,
                     "violating": decisive.verdict.verdict in VIOLATING, "tasks": len(scenario.tasks),
                     "faults": len(scenario.faults), "directory": str(decisive.directory)},
        "differs_from_canonical": differences(scenario, canonical),
        "corpus": {"dir": str(root), "file": str(entry_path(root, claim, fault, profile.id, infra)),
                   "replayed": len(replays), "reproduced": len(replays) - len(stale), "no_longer_reproduce": stale,
                   "entries": [r.to_json() for r in replays]},
        "repeat": repeat or (f"{env_prefix()}taskchaos cell {claim} {fault} {profile.id} --budget {budget} --seed {seed_value} "
                             f"--infra {infra}"),
    }
    return CellSearch(decisive, source, result, replays, record)

