"""One cell's evidence as the page reads it: the cell from report.json plus what its directory holds
(history.jsonl, the ledger's raw records, scenario.json), with paths relative to the run directory so
that links keep working when the run is moved or copied."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chaos.records.ledger import read_ledger


@dataclass
class CellView:
    cell: dict  # the cell as in report.json: cell, directory, duration_s, verdict, check
    rel: str  # the cell's directory relative to the run directory ("cells/<slug>")
    found: bool  # whether that directory exists now
    ops: list[dict] = field(default_factory=list)  # history.jsonl, in order
    ledger: list[dict] = field(default_factory=list)  # every ledger record, by time
    scenario: dict | None = None
    missing: list[str] = field(default_factory=list)  # evidence files that could not be read

    @property
    def verdict(self) -> dict:
        return self.cell["verdict"]

    @property
    def tasks(self) -> list[dict]:
        return self.cell["check"]["tasks"]

    @property
    def anchor(self) -> str:
        return cell_anchor(self.rel)

    @property
    def origin_mono(self) -> float | None:
        """Time zero of the cell: the first history op (the workload's start), else the first ledger record."""
        if self.ops:
            return self.ops[0]["mono"]
        starts = [a["start_mono"] for t in self.tasks for a in t["attempts"]]
        return min(starts) if starts else None


def cell_anchor(directory: str | None) -> str:
    """The page's anchor of a cell, from its directory (absolute or relative: only the name counts)."""
    name = Path(directory or "unknown").name
    return "cell-" + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


def relative_to_run(path: str | None, report: dict) -> str | None:
    """A path recorded in report.json (absolute, under the run directory when it was written) as a
    path relative to the run directory; None when it lies outside it."""
    if not path:
        return None
    try:
        return str(Path(path).relative_to(report["run_dir"]))
    except ValueError:
        return None


def load_cell(cell: dict, report: dict, run_dir: Path) -> CellView:
    rel = relative_to_run(cell.get("directory"), report) or f"cells/{Path(cell.get('directory', 'unknown')).name}"
    directory = Path(run_dir) / rel
    view = CellView(cell=cell, rel=rel, found=directory.is_dir())
    if not view.found:
        view.missing.append(f"{rel}/ (the cell's directory is not beside report.json)")
        return view
    history = directory / "history.jsonl"
    try:
        view.ops = [json.loads(line) for line in history.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        view.missing.append(f"{rel}/history.jsonl ({exc})")
    view.ledger = [r.to_json() for r in read_ledger(directory / "ledger").records]
    try:
        view.scenario = json.loads((directory / "scenario.json").read_text())
    except (OSError, ValueError) as exc:
        view.missing.append(f"{rel}/scenario.json ({exc})")
    return view
