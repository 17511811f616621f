"""Ledger: the append-only ground truth of what task bodies really did.

Every process that runs a task body appends JSON lines to its *own* file ``<dir>/<pid>.jsonl``
with one ``os.write`` per record on an ``O_APPEND`` descriptor. A record whose ``write`` returned
is in the kernel's page cache, so it survives a kill -9 of its writer; no file is shared between
writers, so records never interleave. A torn last line (a writer killed inside ``write``, or a full
disk) is tolerated by the reader and counted, never fatal.

The ledger lives in the run directory, outside Redis and outside anything a fault touches. It is
readable while a run goes on, which is how the nemesis waits for "task X started".

The attempt counter (``next_attempt``) is a per-key file grown by one byte per attempt with
``O_APPEND``: the offset after the write is the attempt number, atomic even when two attempts of the
same task start at the same moment in different processes.

Releases are how the harness lets a held task go on: an empty file ``<dir>/releases/<key>``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

EVENTS = (
    "started",  # the body began an attempt
    "held",  # the body is blocked at a hold point, waiting for release
    "released",  # the hold ended (released by the harness, or timed out: see "timed_out")
    "failed",  # the attempt failed on purpose (spec.fail_times): a requested retry follows
    "crashing",  # the attempt is about to exit its process abruptly (spec.crash_times)
    "succeeded",  # the body's work is done
    "returned",  # the body returned to the backend (after hold_after_finish_s / a hold at finish)
)


@dataclass(frozen=True)
class LedgerRecord:
    key: str
    task_id: str
    attempt: int
    event: str
    pid: int
    backend: str
    wall: float
    mono: float
    detail: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "task_id": self.task_id,
            "attempt": self.attempt,
            "event": self.event,
            "pid": self.pid,
            "backend": self.backend,
            "wall": self.wall,
            "mono": self.mono,
            "detail": self.detail,
        }


class LedgerWriter:
    """Appends records for one process. Safe to construct in a forked child: the descriptor is
    (re)opened lazily per pid."""

    def __init__(self, directory: str | os.PathLike, backend: str):
        self.directory = Path(directory)
        self.backend = backend
        self._fd: int | None = None
        self._fd_pid: int | None = None

    def _descriptor(self) -> int:
        pid = os.getpid()
        if self._fd is None or self._fd_pid != pid:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.directory / f"{pid}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._fd_pid = pid
        return self._fd

    def append(self, key: str, task_id: str, attempt: int, event: str, **detail) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown ledger event {event!r}; expected one of {EVENTS}")
        record = LedgerRecord(
            key=key,
            task_id=task_id,
            attempt=attempt,
            event=event,
            pid=os.getpid(),
            backend=self.backend,
            wall=time.time(),
            mono=time.monotonic(),
            detail=detail,
        )
        line = (json.dumps(record.to_json(), separators=(",", ":")) + "\n").encode()
        fd = self._descriptor()
        written = os.write(fd, line)
        if written != len(line):  # regular files do not short-write unless the disk is full
            raise OSError(f"ledger write was short ({written}/{len(line)} bytes) in {self.directory}")

    def next_attempt(self, key: str) -> int:
        counters = self.directory / "attempts"
        counters.mkdir(parents=True, exist_ok=True)
        fd = os.open(counters / key, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, b".")
            return os.lseek(fd, 0, os.SEEK_CUR)
        finally:
            os.close(fd)

    def is_released(self, key: str) -> bool:
        return (self.directory / "releases" / key).exists()


def release(directory: str | os.PathLike, key: str) -> None:
    """Let a task held at a hold point go on (and every later attempt of it pass its hold)."""
    releases = Path(directory) / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    (releases / key).touch()


@dataclass
class LedgerSnapshot:
    records: list[LedgerRecord]
    torn_lines: int

    def for_key(self, key: str) -> list[LedgerRecord]:
        return [r for r in self.records if r.key == key]


def read_ledger(directory: str | os.PathLike) -> LedgerSnapshot:
    """Read every writer's file; lines that do not parse (torn writes) are counted, not fatal."""
    records: list[LedgerRecord] = []
    torn = 0
    path = Path(directory)
    if not path.exists():
        return LedgerSnapshot([], 0)
    for file in sorted(path.glob("*.jsonl")):
        data = file.read_bytes()
        for raw in data.split(b"\n"):
            if not raw:
                continue
            try:
                obj = json.loads(raw)
                records.append(LedgerRecord(**obj))
            except (ValueError, TypeError):
                torn += 1
    records.sort(key=lambda r: r.mono)
    return LedgerSnapshot(records, torn)
