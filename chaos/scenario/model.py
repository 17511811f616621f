"""The scenario model: task specs in submission order, the pacing of their submission, and the
faults to inject.

A fault is triggered at a task lifecycle point read from the ledger: ``held`` (the task is blocked
at its hold point, so the fault lands inside that window by construction) or ``succeeded`` with a
hold at ``finish`` (the body finished but the backend has not acknowledged it yet), then healed.
Submission pacing is a pause before each submission (``pause_before_s``, applied by the runner):
all zero is a burst. Scenarios are JSON-serialisable and versioned, so a file replays a run.

A gate holds the submission back until a task reaches a lifecycle point: with ``Gate("t0", "held")``
the tasks after t0 are submitted only once the ledger shows t0 held, so they queue up behind it by
construction (a backlog), with or without a fault.

Format versions: 1 (tasks and faults), 2 (adds ``pause_before_s`` to each task entry), 3 (adds
``gates``). Older files still load, with no pauses and no gates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chaos.records.taskspec import TaskSpec

SCENARIO_VERSION = 3
SUPPORTED_VERSIONS = (1, 2, 3)
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
class Gate:
    """Submit the tasks after ``after_key`` only once the ledger shows ``after_key``'s ``event``."""

    after_key: str
    event: str = "held"

    def to_json(self) -> dict:
        return {"after_key": self.after_key, "event": self.event}


@dataclass(frozen=True)
class Scenario:
    """``pauses_s``: the pause before each task's submission in seconds, parallel to ``tasks`` (empty: none)."""

    name: str
    tasks: tuple[TaskSpec, ...]
    faults: tuple[FaultEvent, ...] = field(default_factory=tuple)
    pauses_s: tuple[float, ...] = field(default_factory=tuple)
    gates: tuple[Gate, ...] = field(default_factory=tuple)

    def __post_init__(self):
        keys = {t.key for t in self.tasks}
        for gate in self.gates:
            if gate.after_key not in keys:
                raise ValueError(f"scenario {self.name}: gate after {gate.after_key!r}, which is not one of its tasks")
        if self.pauses_s and len(self.pauses_s) != len(self.tasks):
            raise ValueError(f"scenario {self.name}: {len(self.pauses_s)} pauses for {len(self.tasks)} tasks")
        if any(p < 0 for p in self.pauses_s):
            raise ValueError(f"scenario {self.name}: a pause before a submission cannot be negative")
        if not any(self.pauses_s):  # all zero is no pacing: one canonical form, so equal plans compare equal
            object.__setattr__(self, "pauses_s", ())
        else:
            object.__setattr__(self, "pauses_s", tuple(float(p) for p in self.pauses_s))

    def pause_before_s(self, index: int) -> float:
        return self.pauses_s[index] if self.pauses_s else 0.0

    def to_json(self) -> dict:
        tasks = [t.model_dump() | {"pause_before_s": self.pause_before_s(i)} for i, t in enumerate(self.tasks)]
        return {"version": SCENARIO_VERSION, "name": self.name, "tasks": tasks,
                "faults": [f.to_json() for f in self.faults], "gates": [g.to_json() for g in self.gates]}

    @staticmethod
    def from_json(obj: dict) -> "Scenario":
        version = obj.get("version")
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"scenario version {version!r} is not supported (this taskchaos reads "
                             f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
        entries = [dict(t) for t in obj["tasks"]]
        pauses = tuple(float(e.pop("pause_before_s", 0.0)) for e in entries) if version >= 2 else ()
        return Scenario(name=obj["name"], tasks=tuple(TaskSpec.model_validate(e) for e in entries),
                        faults=tuple(FaultEvent(**f) for f in obj["faults"]),
                        pauses_s=pauses, gates=tuple(Gate(**g) for g in obj.get("gates", ())))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @staticmethod
    def load(path: Path) -> "Scenario":
        return Scenario.from_json(json.loads(Path(path).read_text()))
