"""History: the client's side of a run, Jepsen-style.

Every submission is recorded as an ``invoke`` followed by exactly one completion:
``ok`` (2xx with an id), ``fail`` (a definite rejection: 4xx) or ``info`` (timeout, connection
error, 5xx — the outcome is unknown and the task may or may not run); cancel requests the same
way. Status answers, fault starts and ends, server restarts and monitor readings are recorded too.
Times are ``time.monotonic()`` (one clock for every process of the machine) plus wall time for people.

The history is appended to a JSON-lines file as it goes, so it survives a crashed run.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Op:
    kind: str  # submit | status | cancel | fault | infra | phase | monitor (chaos/monitor/observe.py)
    type: str  # invoke | ok | fail | info | start | end | note
    key: str | None = None
    mono: float = 0.0
    wall: float = 0.0
    data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "type": self.type, "key": self.key, "mono": self.mono, "wall": self.wall, "data": self.data}


# What a fault window's ``role`` says it hurt (chaos/nemesis: each fault's ``role``), for the layers
# that read fault windows back from a history: the drain, the claims.
EXECUTOR_ROLE = "executor"  # the server running task bodies
BROKER_ROLES = ("broker", "broker-network")  # the broker's server, or every connection to it


class History:
    """Thread-safe append-only list of ops, mirrored to ``path`` when given."""

    def __init__(self, path: str | Path | None = None):
        self.ops: list[Op] = []
        self._lock = threading.Lock()
        self._file = open(path, "a", buffering=1) if path else None

    def add(self, kind: str, type: str, key: str | None = None, **data) -> Op:
        op = Op(kind=kind, type=type, key=key, mono=time.monotonic(), wall=time.time(), data=data)
        with self._lock:
            self.ops.append(op)
            if self._file:
                self._file.write(json.dumps(op.to_json(), default=str) + "\n")
        return op

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None

    # -- views used by the checker -------------------------------------------------------------
    def submissions(self) -> dict[str, Op]:
        """The completion (ok / fail / info) of each key's submission; ``info`` if none came."""
        result: dict[str, Op] = {}
        for op in self.ops:
            if op.kind == "submit":
                if op.type == "invoke":
                    result.setdefault(op.key, op)
                else:
                    result[op.key] = op
        return {k: (v if v.type != "invoke" else Op("submit", "info", k, v.mono, v.wall, {"error": "no completion"})) for k, v in result.items()}

    def final_status(self) -> dict[str, dict]:
        result: dict[str, dict] = {}
        for op in self.ops:
            if op.kind == "status" and op.data.get("final"):
                result[op.key] = op.data
        return result

    def hanging_submissions(self) -> dict | None:
        """What the app's ``inflight`` readings showed (None: it never said): ``gave_up_on`` — the
        submissions still inside their hand-over to the backend when the client gave up waiting on them
        (key, for how long), and ``at_the_end`` — the ones still there after the drain; ``unanswered``:
        readings the app did not answer (its event loop blocked, say)."""
        readings = [op for op in self.ops if op.kind == "inflight"]
        if not readings or all(op.type == "fail" for op in readings):
            return None
        gave_up_on, at_the_end = [], []
        for op in readings:
            listed = op.data.get("submissions", []) if op.type == "ok" else []
            if op.key is None:
                at_the_end = list(listed)
            else:
                gave_up_on += [h for h in listed if h.get("key") == op.key]
        return {"gave_up_on": gave_up_on, "at_the_end": at_the_end,
                "unanswered": sum(op.type == "info" for op in readings)}

    def of_kind(self, kind: str, type: str | None = None) -> list[Op]:
        return [op for op in self.ops if op.kind == kind and (type is None or op.type == type)]

    def faults(self) -> list[dict]:
        """Fault windows: one dict per fault with start and end times, and what its strike reported (``struck``)."""
        windows: dict[str, dict] = {}
        for op in self.ops:
            if op.kind != "fault":
                continue
            fid = op.data["id"]
            if op.type == "start":
                windows[fid] = {"id": fid, "name": op.data.get("name"), "start_mono": op.mono, "end_mono": None, **op.data}
            elif op.type == "note" and fid in windows and "struck" in op.data:
                windows[fid]["struck"] = op.data["struck"]
            elif op.type == "end" and fid in windows:
                windows[fid]["end_mono"] = op.mono
        return list(windows.values())

    @staticmethod
    def load(path: str | Path) -> "History":
        h = History()
        for line in Path(path).read_text().splitlines():
            if line.strip():
                obj = json.loads(line)
                h.ops.append(Op(**obj))
        return h
