"""The corpus: committed minimal counterexamples, one file per cell that a search broke, replayed by
every budget before the cell's canonical workload and its search — so the quick gate sees every
counterexample any earlier search found, and a cell's verdict does not depend on the budget.

In a nutshell: ``corpus/<claim>/<fault>/<profile>@<persistence>.json`` (``…@<persistence>.<infra>.json``
for another infra driver than ``process``) holds the cell and a list of entries; an entry is a
scenario (the format of ``chaos/scenario/model.py``) with how it was found: the date, the seed, the
budget, the command, the versions and the git revision of the run that found it, and the verdict and
outcomes it showed then. An entry's id is a digest of its scenario, so the same counterexample is
never added twice. ``corpus/README.md`` is the user's page on the format.

- ``corpus_root(value)``: where the corpus is (``--chaos-corpus``, ``TASKCHAOS_CORPUS``, else the
  repository's ``corpus/``).
- ``entries_for(root, claim, fault, profile, infra)``: a cell's entries (files under an old fault
  name, chaos/renames.py, count as the new one's).
- ``load_corpus(root)``: every file, validated: a claim, fault or profile that no longer exists, or a
  file not where its cell says, is a ``CorpusError`` naming the file.
- ``add_entry(...)`` and ``promote(run_dir, root)``: what ``taskchaos corpus add`` does — a run's
  counterexamples that came from a search (not from the canonical workload, not from the corpus).
- ``replay(entries, ...)``: play a cell's entries (``chaos.explore.search_cell`` does, first).
- ``cmd_corpus``: ``taskchaos corpus add RUN_DIR`` and ``taskchaos corpus list``.

Imports only the scenario model at load time (the CLI loads it to name its errors).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from chaos.renames import current_fault
from chaos.scenario.model import Scenario

__all__ = ["CORPUS_DIR", "CORPUS_FORMAT", "CorpusError", "CorpusFile", "Entry", "add_entry", "corpus_root",
           "entries_for", "entry_id", "entry_path", "load_corpus", "load_file", "promote"]

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
CORPUS_FORMAT = 1
ENV = "TASKCHAOS_CORPUS"


class CorpusError(ValueError):
    """A corpus file that cannot be used as it is; the message names the file and what to do."""


def corpus_root(value: str | Path | None = None) -> Path:
    """``value``, else ``$TASKCHAOS_CORPUS``, else a judged system's ``taskchaos-corpus/`` beside its
    description (chaos/system.py), else the repository's ``corpus/``."""
    from chaos.system import system_corpus

    chosen = value or os.environ.get(ENV) or system_corpus()  # a team's system keeps its own corpus
    return Path(chosen).resolve() if chosen else CORPUS_DIR


def entry_id(scenario: Scenario) -> str:
    """A digest of the scenario: the same counterexample has the same id wherever it was found."""
    return hashlib.sha256(json.dumps(scenario.to_json(), sort_keys=True).encode()).hexdigest()[:10]


def entry_path(root: Path, claim: str, fault: str, profile_id: str, infra: str = "process") -> Path:
    suffix = "" if infra == "process" else f".{infra}"
    return Path(root) / claim / fault / f"{profile_id}{suffix}.json"


def cell_label(claim: str, fault: str, profile_id: str, infra: str) -> str:
    return f"{claim}/{fault}/{profile_id}" + ("" if infra == "process" else f" [{infra}]")


@dataclass(frozen=True)
class Entry:
    id: str
    scenario: Scenario
    found: dict  # date, seed, budget, command, repeat, versions, git of the run that found it
    verdict: str | None = None  # as observed when it was found, e.g. "violated 1/2"
    outcomes: dict = field(default_factory=dict)
    path: Path | None = None  # the corpus file it is in

    @property
    def tasks(self) -> int:
        return len(self.scenario.tasks)

    @property
    def faults(self) -> int:
        return len(self.scenario.faults)

    def to_json(self) -> dict:
        return {"id": self.id, "tasks": self.tasks, "faults": self.faults, "verdict": self.verdict,
                "outcomes": self.outcomes, "found": self.found, "scenario": self.scenario.to_json()}


@dataclass
class CorpusFile:
    path: Path
    claim: str
    fault: str
    profile: str  # the profile's id, name@persistence
    infra: str
    entries: list[Entry]

    @property
    def cell(self) -> str:
        return cell_label(self.claim, self.fault, self.profile, self.infra)

    def to_json(self) -> dict:
        return {"format": CORPUS_FORMAT, "cell": self.cell, "claim": self.claim, "fault": self.fault,
                "profile": self.profile, "infra": self.infra, "entries": [e.to_json() for e in self.entries]}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(self.path)


def _check_cell(where: Path, claim: str, fault: str, profile_spec: str, infra: str) -> str:
    """Validate a cell named by a corpus file; returns the profile's id. Raises CorpusError naming ``where``."""
    from chaos.cell import NO_FAULT, parse_fault
    from chaos.infra import DRIVERS
    from chaos.judgement.claims import CLAIMS
    from chaos.nemesis import FAULTS
    from chaos.profile import ProfileError, load_profiles
    from chaos.runner import RunError

    if claim not in CLAIMS:
        raise CorpusError(f"{where}: unknown claim {claim!r} (known: {', '.join(CLAIMS)}); remove the file or "
                          f"move it under the claim's new name")
    if fault != NO_FAULT:
        try:
            name, _ = parse_fault(fault)
        except RunError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if name not in FAULTS:
            raise CorpusError(f"{where}: unknown fault {fault!r} (known: {NO_FAULT}, {', '.join(FAULTS)}); remove "
                              f"the file or move it under the fault's new name")
    if fault not in CLAIMS[claim].faults:
        raise CorpusError(f"{where}: the suite never runs {claim} under {fault!r} (it runs it under "
                          f"{', '.join(CLAIMS[claim].faults)}), so this entry would never be replayed")
    if infra not in DRIVERS:
        raise CorpusError(f"{where}: unknown infra driver {infra!r} (known: {', '.join(DRIVERS)})")
    name, _, persistence = profile_spec.partition("@")
    profiles = load_profiles(include_test_only=True)  # an error in the profiles themselves is theirs, not this file's
    if name not in profiles:
        raise CorpusError(f"{where}: unknown profile {name!r} (known: {', '.join(profiles)}); remove the file or "
                          f"rename it after the profile's new name")
    try:
        return (profiles[name].with_persistence(persistence) if persistence else profiles[name]).id
    except ProfileError as exc:
        raise CorpusError(f"{where}: {exc}; remove the file or rename it after the mode's new name") from None


def load_file(path: Path, root: Path) -> CorpusFile:
    """One corpus file, validated (see the module docstring)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: not a readable corpus file: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != CORPUS_FORMAT:
        raise CorpusError(f"{path}: corpus format {data.get('format') if isinstance(data, dict) else None!r} "
                          f"is not supported (this taskchaos reads format {CORPUS_FORMAT})")
    try:
        claim, fault, profile, infra = data["claim"], current_fault(data["fault"]), data["profile"], data.get("infra", "process")
        raw_entries = list(data["entries"])
    except (KeyError, TypeError) as exc:
        raise CorpusError(f"{path}: a corpus file names its claim, fault, profile and entries (missing {exc})") from None
    profile_id = _check_cell(path, claim, fault, profile, infra)
    expected = entry_path(root, claim, fault, profile_id, infra)
    try:
        relative = path.resolve().relative_to(Path(root).resolve())
        claim_dir, fault_dir, name = relative.parts
    except ValueError:
        relative, claim_dir, fault_dir, name = path, None, None, None
    if (claim_dir, current_fault(fault_dir or ""), name) != (claim, fault, expected.name):
        raise CorpusError(f"{path}: holds the entries of {cell_label(claim, fault, profile_id, infra)}, which live in "
                          f"{expected}: move it there")
    entries = []
    for number, raw in enumerate(raw_entries, 1):
        try:
            scenario = Scenario.from_json(raw["scenario"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"{path}: entry {number} ({raw.get('id') if isinstance(raw, dict) else '?'}) has no "
                              f"valid scenario: {exc}") from None
        entries.append(Entry(id=entry_id(scenario), scenario=scenario, found=dict(raw.get("found") or {}),
                             verdict=raw.get("verdict"), outcomes=dict(raw.get("outcomes") or {}), path=path))
    return CorpusFile(path, claim, fault, profile_id, infra, entries)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).glob("*/*/*.json") if not p.name.startswith("."))


def load_corpus(root: Path) -> list[CorpusFile]:
    """Every corpus file under ``root``, validated (none: an empty list)."""
    return [load_file(path, root) for path in _files(root)]


def _cell_files(root: Path, claim: str, fault: str, profile_id: str, infra: str) -> list[Path]:
    """The files of one cell: under the fault's name and under any old name of it."""
    name = entry_path(root, claim, fault, profile_id, infra).name
    claim_dir = Path(root) / claim
    if not claim_dir.is_dir():
        return []
    return sorted(d / name for d in claim_dir.iterdir() if d.is_dir() and current_fault(d.name) == fault and (d / name).is_file())


def entries_for(root: Path, claim: str, fault: str, profile_id: str, infra: str = "process") -> list[Entry]:
    """The entries a cell replays first, in file order."""
    entries, seen = [], set()
    for path in _cell_files(root, claim, fault, profile_id, infra):
        for entry in load_file(path, root).entries:
            if entry.id not in seen:
                seen.add(entry.id)
                entries.append(entry)
    return entries


def add_entry(root: Path, claim: str, fault: str, profile_spec: str, infra: str, scenario: Scenario, *,
              found: dict, verdict: str | None = None, outcomes: dict | None = None) -> tuple[Entry, bool]:
    """Add ``scenario`` to its cell's file (created if needed); ``(entry, False)`` when it is there already."""
    fault = current_fault(fault)
    where = entry_path(root, claim, fault, profile_spec, infra)
    profile_id = _check_cell(where, claim, fault, profile_spec, infra)
    path = entry_path(root, claim, fault, profile_id, infra)
    for existing in entries_for(root, claim, fault, profile_id, infra):
        if existing.id == entry_id(scenario):
            return existing, False
    corpus = load_file(path, root) if path.is_file() else CorpusFile(path, claim, fault, profile_id, infra, [])
    entry = Entry(id=entry_id(scenario), scenario=scenario, found=found, verdict=verdict, outcomes=outcomes or {}, path=path)
    corpus.entries.append(entry)
    corpus.save()
    return entry, True


# -- promoting a run's counterexamples (taskchaos corpus add) -----------------------------------------

@dataclass
class Promotion:
    """What ``corpus add`` did with one cell of a run."""

    cell: str
    entry: Entry | None = None
    added: bool = False
    skipped: str | None = None  # why nothing was added


def _run_meta(run_dir: Path) -> dict:
    """The run's command, versions and git revision, from its report.json (else: this machine's, now)."""
    try:
        report = json.loads((run_dir / "report.json").read_text())
    except (OSError, json.JSONDecodeError):
        report = {}
    if "versions" not in report:
        from chaos.report.versions import git_revision, versions

        report |= {"versions": versions(), "git_revision": git_revision(CORPUS_DIR.parent)}
    command = report.get("command")
    return {"command": " ".join(command) if isinstance(command, list) else command, "versions": report["versions"],
            "git": report.get("git_revision"), "started": report.get("started")}


def _found(meta: dict, search: dict, date: str | None) -> dict:
    return {"date": date or meta.get("started") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seed": search.get("seed"), "budget": search.get("budget"), "command": meta.get("command"),
            "repeat": search.get("repeat") or search.get("explore"), "versions": meta["versions"], "git": meta.get("git")}


def _promote_cell(path: Path, root: Path, meta: dict) -> Promotion:
    data = json.loads(path.read_text())
    verdict, search = data["verdict"], data.get("search") or {}
    label = data.get("cell") or verdict.get("cell")
    if verdict["verdict"] not in ("violated", "not-claimed"):
        return Promotion(label, skipped=f"{verdict['verdict']}: no counterexample")
    source = (search.get("decisive") or {}).get("source")
    if source != "search":
        return Promotion(label, skipped={"corpus": "its counterexample came from the corpus",
                                         "canonical": "its counterexample is the canonical workload, which every "
                                                      "budget runs anyway"}.get(source, "not a search's cell"))
    scenario_path = path.parent / "minimal-scenario.json"
    if not scenario_path.is_file():
        return Promotion(label, skipped=f"{scenario_path} is missing")
    profile_id = f"{verdict['profile']}@{verdict['persistence']}"
    entry, added = add_entry(root, verdict["claim"], verdict["fault"], profile_id, verdict.get("infra", "process"),
                             Scenario.load(scenario_path), found=_found(meta, search, search.get("date")),
                             verdict=search.get("minimal_verdict"), outcomes=search.get("minimal_outcomes") or {})
    return Promotion(label, entry, added)


def _promote_exploration(path: Path, root: Path, meta: dict) -> Promotion:
    """An ``taskchaos explore`` run: its minimal scenario, when the search found one."""
    data = json.loads(path.read_text())
    label = cell_label(data["claim"], data["fault"], data["profile"], data.get("infra", "process"))
    if not data.get("found"):
        return Promotion(label, skipped="the search found no counterexample")
    meta = meta | {k: data[k] for k in ("versions", "git") if data.get(k)}
    entry, added = add_entry(root, data["claim"], data["fault"], data["profile"], data.get("infra", "process"),
                             Scenario.from_json(data["minimal_scenario"]), found=_found(meta, data, data.get("date")),
                             verdict=data.get("minimal_verdict"), outcomes=data.get("minimal_outcomes") or {})
    return Promotion(label, entry, added)


def promote(run_dir: Path, root: Path) -> list[Promotion]:
    """Add a run's counterexamples to the corpus: the decisive violating scenario of each violated
    cell that came from a search (a pytest / ``taskchaos run`` run directory), or the minimal
    scenario of a ``taskchaos explore`` run directory."""
    run_dir = Path(run_dir)
    if run_dir.is_file() and run_dir.name == "report.json":
        run_dir = run_dir.parent
    cells = sorted(run_dir.glob("cells/*/cell.json"))
    explorations = [run_dir / "explore.json"] if (run_dir / "explore.json").is_file() else []
    if not cells and not explorations:
        raise CorpusError(f"{run_dir}: no cells/*/cell.json and no explore.json: pass a run directory "
                          f"(reports/<run>) or a `taskchaos explore` directory")
    meta = _run_meta(run_dir)
    return [_promote_cell(p, root, meta) for p in cells] + [_promote_exploration(p, root, meta) for p in explorations]


# -- replaying a cell's entries (every budget, before the canonical workload) ---------------------------

VIOLATING = ("violated", "not-claimed")


@dataclass
class Replay:
    """One corpus entry played again on the cell: does it still break the claim?"""

    entry: Entry
    cell: "CellRun | None"  # None: the scenario could not be played
    error: str | None = None

    @property
    def reproduces(self) -> bool:
        return self.cell is not None and self.cell.verdict.verdict in VIOLATING

    @property
    def observed(self) -> str:
        return self.cell.verdict.short if self.cell is not None else f"not playable ({self.error})"

    def words(self) -> str:
        e = self.entry
        what = f"corpus entry {e.id} ({e.tasks} tasks, {e.faults} faults; {e.path})"
        if self.reproduces:
            return f"{what} reproduces: {self.observed}"
        return (f"{what} no longer reproduces: {self.observed} (found {e.found.get('date', '?')}"
                + (f" as {e.verdict}" if e.verdict else "") + ")")

    def to_json(self) -> dict:
        e = self.entry
        return {"id": e.id, "file": str(e.path), "tasks": e.tasks, "faults": e.faults, "found": e.found.get("date"),
                "found_verdict": e.verdict, "verdict": self.cell.verdict.short if self.cell else None,
                "reproduces": self.reproduces, "directory": str(self.cell.directory) if self.cell else None,
                "error": self.error, "words": self.words()}


def replay(entries: list[Entry], claim: str, fault: str, profile_id: str, *, budget: str, infra: str,
           run_dir: Path, echo=lambda line: None) -> list[Replay]:
    """Play each entry's scenario on the cell, in ``cells/<cell>/corpus-<id>``. A scenario that cannot
    be played any more (chaos.runner.RunError) is a replay that does not reproduce, with its reason;
    an infra failure propagates (the cell crashed, as for any example)."""
    from chaos.cell import run_cell
    from chaos.runner import RunError

    replays = []
    for entry in entries:
        try:
            cell = run_cell(claim, fault, profile_id, budget=budget, infra=infra, run_dir=run_dir,
                            scenario=entry.scenario, subdir=f"corpus-{entry.id}")
            replays.append(Replay(entry, cell))
        except RunError as exc:
            replays.append(Replay(entry, None, str(exc)))
        echo(replays[-1].words())
    return replays


def run_lines(cells: list[dict], root: Path, run_dir: Path) -> list[str]:
    """What a run says about the corpus and its searches (cells: cell.json records with their ``search``):
    the entries replayed, each that no longer reproduces, the new counterexamples a search found (and
    the command that adds them), and every search the shrink cap cut short."""
    searches = [(c.get("cell") or c["verdict"].get("cell"), c.get("search") or {}) for c in cells]
    replayed = [(cell, e) for cell, s in searches for e in (s.get("corpus") or {}).get("entries", [])]
    reproduced = sum(1 for _, e in replayed if e["reproduces"])
    lines = [f"corpus {root}: {len(replayed)} entries replayed in {len({c for c, _ in replayed})} cells, "
             f"{reproduced} reproduced" if replayed else f"corpus {root}: no entry for the cells of this run"]
    lines += [f"  {e['words']}" for _, e in replayed if not e["reproduces"]]
    new = [(cell, s) for cell, s in searches if (s.get("decisive") or {}).get("source") == "search"]
    for cell, s in new:
        d = s["decisive"]
        lines.append(f"  new counterexample: {cell}: {d['verdict']} ({d['tasks']} tasks, {d['faults']} faults; "
                     f"{s['differs_from_canonical']['words']})")
    if new:
        lines.append(f"  add them to the corpus: taskchaos corpus add {run_dir}" + (f" --corpus {root}" if root != CORPUS_DIR else ""))
    lines += [f"  {cell}: {s['shrink_note']}" for cell, s in searches if s.get("shrink_note")]
    return lines


# -- taskchaos corpus add | list ---------------------------------------------------------------------

def cmd_corpus(args) -> int:
    root = corpus_root(args.corpus)
    if args.corpus_command == "add":
        promotions = promote(Path(args.run_dir), root)
        for p in promotions:
            if p.entry is None:
                print(f"  {p.cell}: nothing to add — {p.skipped}")
            else:
                e = p.entry
                print(f"  {p.cell}: entry {e.id} ({e.tasks} tasks, {e.faults} faults, {e.verdict}) "
                      + (f"added to {e.path}" if p.added else f"already in {e.path}"))
        added = sum(1 for p in promotions if p.added)
        present = sum(1 for p in promotions if p.entry is not None and not p.added)
        print(f"corpus add: {added} entries added, {present} already present, into {root}"
              + ("; commit them: every budget replays them first" if added else ""))
        return 0
    files = load_corpus(root)
    print(f"corpus {root}: {sum(len(f.entries) for f in files)} entries in {len(files)} files")
    for f in files:
        print(f"{f.cell}  ({f.path.relative_to(root) if f.path.is_relative_to(root) else f.path})")
        for e in f.entries:
            found = e.found
            print(f"  {e.id}  {e.tasks} tasks, {e.faults} faults  {e.verdict or '?'}  found {found.get('date', '?')} "
                  f"(budget {found.get('budget', '?')}, seed {found.get('seed', '?')})"
                  + (f"  {', '.join(f'{k} {v}' for k, v in e.outcomes.items())}" if e.outcomes else ""))
    return 0
