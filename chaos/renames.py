"""Names that changed, and what they are called now: one mapping, applied wherever an old name can
come in (a scenario file, an expectations file, a stored run's report.json, the command line), so
that a run, a file or a habit from before a rename still means the same cell. Imports nothing.

The broker became a role with kinds (Redis, RabbitMQ): the faults that hurt it are named by the role.
"""

from __future__ import annotations

FAULT_RENAMES = {
    "kill-redis": "kill-broker",
    "restart-redis": "restart-broker",
    "redis-down": "broker-down",
}


def current_fault(label: str) -> str:
    """``label`` (a fault name, or a windowed fault with its phase, ``redis-down-run``) as named now."""
    for old, new in FAULT_RENAMES.items():
        if label == old or label.startswith(old + "-"):
            return new + label[len(old):]
    return label


def current_cell(cell: str) -> str:
    """A cell's label (``claim/fault/profile@mode [infra]``) with its fault as named now."""
    parts = cell.split("/", 2)
    if len(parts) == 3:
        parts[1] = current_fault(parts[1])
    return "/".join(parts)


def upgrade_report(report: dict) -> dict:
    """A stored report.json's verdicts and cells with their faults as named now (in place)."""
    for verdict in report.get("verdicts") or []:
        if "fault" in verdict:
            verdict["fault"] = current_fault(verdict["fault"])
        if "cell" in verdict:
            verdict["cell"] = current_cell(verdict["cell"])
    for cell in report.get("cells") or []:
        if isinstance(cell, dict) and isinstance(cell.get("cell"), str):
            cell["cell"] = current_cell(cell["cell"])
        inner = cell.get("verdict") if isinstance(cell, dict) else None
        if isinstance(inner, dict):
            for key, fix in (("fault", current_fault), ("cell", current_cell)):
                if key in inner:
                    inner[key] = fix(inner[key])
    for error in report.get("errors") or []:
        if isinstance(error, dict) and "cell" in error:
            error["cell"] = current_cell(str(error["cell"]))
    return report
