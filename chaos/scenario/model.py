"""The scenario model: task specs in submission order, and the faults to inject.

A fault is triggered at a task lifecycle point read from the ledger (``held``: the task is blocked
at its hold point, so the fault lands inside that window by construction), then healed. Scenarios
are JSON-serialisable and versioned, so a file replays a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chaos.records.taskspec import TaskSpec

SCENARIO_VERSION = 1
PHASES = ("run", "submit")


@dataclass(frozen=True)
class FaultEvent:
    fault: str  # a name in chaos.nemesis.FAULTS
    at_key: str  # the task whose lifecycle point triggers the fault
    at_event: str = "held"  # the ledger event of at_key that triggers it
    phase: str = "run"  # run | submit (see the module docstring)

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"fault phase {self.phase!r}: expected one of {PHASES}")

    def to_json(self) -> dict:
        return {"fault": self.fault, "at_key": self.at_key, "at_event": self.at_event, "phase": self.phase}


@dataclass(frozen=True)
class Scenario:
    name: str
    tasks: tuple[TaskSpec, ...]
    faults: tuple[FaultEvent, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"version": SCENARIO_VERSION, "name": self.name, "tasks": [t.model_dump() for t in self.tasks],
                "faults": [f.to_json() for f in self.faults]}

    @staticmethod
    def from_json(obj: dict) -> "Scenario":
        if obj.get("version") != SCENARIO_VERSION:
            raise ValueError(f"scenario version {obj.get('version')!r} is not supported (expected {SCENARIO_VERSION})")
        return Scenario(name=obj["name"], tasks=tuple(TaskSpec.model_validate(t) for t in obj["tasks"]),
                        faults=tuple(FaultEvent(**f) for f in obj["faults"]))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @staticmethod
    def load(path: Path) -> "Scenario":
        return Scenario.from_json(json.loads(Path(path).read_text()))
