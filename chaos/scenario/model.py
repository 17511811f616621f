"""The scenario model: task specs in submission order, the pacing of their submission, and the
faults to inject.

A fault is triggered at a task lifecycle point read from the ledger: ``held`` (the task is blocked
at its hold point, so the fault lands inside that window by construction) or ``succeeded`` with a
hold at ``finish`` (the body finished but the backend has not acknowledged it yet), then healed.
A fault's phase says when it strikes: ``run`` (once the submissions are done, when its trigger is
seen), ``submit`` (right after its trigger task's submission, so the tasks after it are submitted
inside the fault) or ``last-submit`` (once its trigger is seen, right before the last task's
submission, and healed once that submission is answered: the last submission is made inside the
fault, whatever tasks a variation added before it), or ``answer`` (its trigger task is submitted
with ``hold_answer``: the target app holds its answer once the backend has accepted the task, the
fault strikes when the ledger shows that (``answer-held``), and once it is healed the client submits
the same task again, as a client that got no answer would).

Submission pacing is a pause before each submission (``pause_before_s``, applied by the runner):
all zero is a burst. Scenarios are JSON-serialisable and versioned, so a file replays a run.

Client actions (format 3): requests the client makes when a task reaches a lifecycle point, like a
fault's trigger: ``cancel`` a task (``terminate``: stop it if it is running), read one task's
``status``, or read the status of an id that was never submitted (``status-unknown``). The runner
plays them in order, after the submissions and before the faults of phase ``run``, so that e.g.
"cancel t1 while t0 is held at its start" lands while t1 is certainly still queued.

A gate holds the submission back until a task reaches a lifecycle point: with ``Gate("t0", "held")``
the tasks after t0 are submitted only once the ledger shows t0 held, so they queue up behind it by
construction (a backlog), with or without a fault.

Format versions: 1 (tasks and faults), 2 (adds ``pause_before_s`` to each task entry), 3 (adds
``actions`` and ``gates``). Versions 1 and 2 still load, with no pauses (1), no actions and no gates.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from chaos.records.taskspec import TaskSpec
from chaos.renames import current_fault

SCENARIO_VERSION = 3
SUPPORTED_VERSIONS = (1, 2, 3)
PHASES = ("run", "submit", "last-submit", "answer")
ACTIONS = ("cancel", "status", "status-unknown")


@dataclass(frozen=True)
class FaultEvent:
    fault: str  # a name in chaos.nemesis.FAULTS
    at_key: str  # the task whose lifecycle point triggers the fault
    at_event: str = "held"  # the ledger event of at_key that triggers it
    phase: str = "run"  # run | submit | last-submit | answer (see the module docstring)

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"fault phase {self.phase!r}: expected one of {PHASES}")

    def to_json(self) -> dict:
        return {"fault": self.fault, "at_key": self.at_key, "at_event": self.at_event, "phase": self.phase}


@dataclass(frozen=True)
class ClientAction:
    """A client request made once ``at_key`` reaches ``at_event`` in the ledger."""

    action: str  # one of ACTIONS
    at_key: str
    at_event: str = "held"
    key: str | None = None  # the task acted on (cancel, status); None for status-unknown
    terminate: bool = False  # cancel only: stop the task if it is running

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"client action {self.action!r}: expected one of {ACTIONS}")
        if (self.key is None) != (self.action == "status-unknown"):
            raise ValueError(f"client action {self.action!r}: a key is required for cancel and status, "
                             "and meaningless for status-unknown")
        if self.terminate and self.action != "cancel":
            raise ValueError(f"client action {self.action!r}: terminate applies to cancel only")

    def to_json(self) -> dict:
        return {"action": self.action, "at_key": self.at_key, "at_event": self.at_event, "key": self.key,
                "terminate": self.terminate}


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
    actions: tuple[ClientAction, ...] = field(default_factory=tuple)
    gates: tuple[Gate, ...] = field(default_factory=tuple)

    def __post_init__(self):
        keys = {t.key for t in self.tasks}
        for action in self.actions:
            for key in (action.at_key, action.key):
                if key is not None and key not in keys:
                    raise ValueError(f"scenario {self.name}: action {action.action} names task {key!r}, "
                                     f"which is not in the scenario")
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

    def varied(self, *, tasks: tuple[TaskSpec, ...], pauses_s: tuple[float, ...]) -> "Scenario":
        """The same plan (name, faults and any other events) with other tasks and pacing."""
        return dataclasses.replace(self, tasks=tasks, pauses_s=pauses_s)

    def pause_before_s(self, index: int) -> float:
        return self.pauses_s[index] if self.pauses_s else 0.0

    def to_json(self) -> dict:
        tasks = [t.model_dump() | {"pause_before_s": self.pause_before_s(i)} for i, t in enumerate(self.tasks)]
        return {"version": SCENARIO_VERSION, "name": self.name, "tasks": tasks,
                "faults": [f.to_json() for f in self.faults], "actions": [a.to_json() for a in self.actions],
                "gates": [g.to_json() for g in self.gates]}

    @staticmethod
    def from_json(obj: dict) -> "Scenario":
        version = obj.get("version")
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"scenario version {version!r} is not supported (this taskchaos reads "
                             f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
        if (obj.get("actions") or obj.get("gates")) and version < 3:
            raise ValueError(f"scenario {obj.get('name')!r}: client actions and gates need format version 3, "
                             f"the file says {version}")
        entries = [dict(t) for t in obj["tasks"]]
        pauses = tuple(float(e.pop("pause_before_s", 0.0)) for e in entries) if version >= 2 else ()
        return Scenario(name=obj["name"], tasks=tuple(TaskSpec.model_validate(e) for e in entries),
                        faults=tuple(FaultEvent(**{**f, "fault": current_fault(f["fault"])}) for f in obj["faults"]),
                        pauses_s=pauses,
                        actions=tuple(ClientAction(**a) for a in obj.get("actions", [])),
                        gates=tuple(Gate(**g) for g in obj.get("gates", ())))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @staticmethod
    def load(path: Path) -> "Scenario":
        return Scenario.from_json(json.loads(Path(path).read_text()))
