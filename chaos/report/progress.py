"""Progress of a run while it goes on, read from the run directory as the cells write it (so it works
the same whichever process — pytest, an xdist worker — runs the cells): cells done of the collected
total, the cells running now (claim, fault, profile), faults injected, tasks submitted and finished.

:func:`progress_line` is the text; ``taskchaos run`` shows it as a live line with ``rich`` when its
output is a terminal, and not at all otherwise (CI logs stay as pytest writes them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CellProgress:
    name: str
    done: bool = False
    profile: str = ""
    faults: int = 0
    submitted: int = 0
    finished: int = 0


@dataclass
class RunProgress:
    cells: list[CellProgress] = field(default_factory=list)
    errors: int = 0
    skipped: int = 0
    total: int | None = None  # cells collected (collected.json, written by the plugin), when known

    @property
    def done(self) -> int:
        return sum(c.done for c in self.cells) + self.errors + self.skipped

    @property
    def running(self) -> list[CellProgress]:
        return [c for c in self.cells if not c.done]


def _cell_progress(directory: Path, cached: CellProgress | None) -> CellProgress:
    if cached is not None and cached.done:
        return cached
    cell = CellProgress(directory.name, done=(directory / "cell.json").exists())
    try:
        lines = (directory / "history.jsonl").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            op = json.loads(line)
        except ValueError:  # a line being written right now
            continue
        if op.get("kind") == "phase" and op.get("data", {}).get("profile"):
            cell.profile = op["data"]["profile"]
        elif op.get("kind") == "fault" and op.get("type") == "start":
            cell.faults += 1
        elif op.get("kind") == "submit" and op.get("type") == "ok":
            cell.submitted += 1
    returned = set()
    for ledger in (directory / "ledger").glob("*.jsonl"):
        try:
            for raw in ledger.read_bytes().split(b"\n"):
                if b'"returned"' in raw:
                    try:
                        returned.add(json.loads(raw)["key"])
                    except (ValueError, KeyError):
                        pass
        except OSError:
            continue
    cell.finished = len(returned)
    return cell


class RunWatcher:
    """Reads a run directory's progress; finished cells are read once."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self._cache: dict[str, CellProgress] = {}

    def snapshot(self) -> RunProgress:
        cells = []
        for directory in sorted(self.run_dir.glob("cells/*/")):
            cell = _cell_progress(directory, self._cache.get(directory.name))
            self._cache[directory.name] = cell
            cells.append(cell)
        try:
            total = json.loads((self.run_dir / "collected.json").read_text())["cells"]
        except (OSError, ValueError, KeyError):
            total = None
        return RunProgress(cells, len(list(self.run_dir.glob("errors/*.json"))),
                           len(list(self.run_dir.glob("skipped/*.json"))), total)


def describe_running(cell: CellProgress, claims: list[str]) -> str:
    """``persistence-kill-worker-rq-default@aof-everysec`` → ``persistence · kill-worker · rq-default@aof-everysec``."""
    claim = next((c for c in sorted(claims, key=len, reverse=True) if cell.name.startswith(c + "-")), "")
    rest = cell.name[len(claim) + 1:] if claim else cell.name
    if cell.profile and cell.profile in rest:
        fault = rest[:rest.index(cell.profile)].rstrip("-")
        suffix = rest[rest.index(cell.profile) + len(cell.profile):].lstrip("-")
        return " · ".join(p for p in (claim, fault, cell.profile + (f" [{suffix}]" if suffix else "")) if p)
    return " · ".join(p for p in (claim, rest + " (starting)") if p)


def progress_line(p: RunProgress, claims: list[str], elapsed_s: float) -> str:
    total = f"/{p.total}" if p.total else ""
    running = p.running
    now = describe_running(running[0], claims) if running else "—"
    more = f" (+{len(running) - 1} more)" if len(running) > 1 else ""
    errors = "".join(f", {n} {what}" for n, what in ((p.skipped, "skipped"), (p.errors, "errors")) if n)
    faults = sum(c.faults for c in p.cells)
    submitted = sum(c.submitted for c in p.cells)
    finished = sum(c.finished for c in p.cells)
    minutes, seconds = divmod(int(elapsed_s), 60)
    return (f"{minutes}m{seconds:02d}s · cells {p.done}{total} done{errors} · faults injected {faults} · "
            f"tasks finished {finished}/{submitted} submitted · running: {now}{more}")
