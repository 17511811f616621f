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

import contextlib
import gc
import json
import operator
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
    "answer-held",  # the target app handed the task to its backend and holds its answer (spec.hold_answer)
)
RELEASE_POLL_S = 0.02  # how often a hold looks for its release file

# Written by the target app, not by a task body: no attempt (attempt 0), never part of one.
APP_EVENTS = ("answer-held",)


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
    ppid: int = 0  # the writer's parent (a prefork worker, RQ's worker of a work horse): who handles its loss; 0: not known

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
            "ppid": self.ppid,
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
            ppid=os.getppid(),
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

    def wait_released(self, key: str, timeout_s: float) -> bool:
        """Block until the harness releases ``key`` (True) or ``timeout_s`` passes (False): the wait of
        every hold, a body's at its hold point and the app's before its answer."""
        deadline = time.monotonic() + timeout_s
        while not self.is_released(key):
            if time.monotonic() >= deadline:
                return False
            time.sleep(RELEASE_POLL_S)  # polling a file with a deadline: the harness releases us
        return True


def release(directory: str | os.PathLike, key: str) -> None:
    """Let a task held at a hold point go on (and every later attempt of it pass its hold)."""
    releases = Path(directory) / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    (releases / key).touch()


@dataclass
class LedgerSnapshot:
    """Every record of a ledger in time order (``mono``; ties keep file then line order).

    ``for_key`` answers from an index key -> records built on its first call, in one pass over
    ``records`` (so a checker asking once per task is linear, not quadratic). ``records`` is a read
    view: the index is rebuilt if the list is replaced or its length changed since, not after an
    in-place edit that keeps its length.
    """

    records: list[LedgerRecord]
    torn_lines: int

    def __post_init__(self) -> None:
        self._by_key: dict[str, list[LedgerRecord]] | None = None  # not a field: no part of eq / repr
        self._indexed: tuple[int, int] = (0, -1)  # (id, len) of the list the index was built from

    def _index(self) -> dict[str, list[LedgerRecord]]:
        records = self.records
        if self._by_key is None or self._indexed != (id(records), len(records)):
            by_key: dict[str, list[LedgerRecord]] = {}
            for r in records:
                same = by_key.get(r.key)
                if same is None:
                    by_key[r.key] = [r]
                else:
                    same.append(r)
            self._by_key, self._indexed = by_key, (id(records), len(records))
        return self._by_key

    def for_key(self, key: str) -> list[LedgerRecord]:
        """The key's records in ledger order (a new list: the caller may change it)."""
        return list(self._index().get(key, ()))


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector paused while a large acyclic structure is built (ledger records,
    the checker's outcomes): otherwise each full collection walks every object built so far, which
    costs about as much again as the building. Nothing built here forms a cycle, so nothing is
    collected later than it would have been. Restores the collector only if it was running."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_ledger(directory: str | os.PathLike) -> LedgerSnapshot:
    """Read every writer's file; lines that do not parse (torn writes) are counted, not fatal.

    Linear in the ledger's size: one read per file, one parse per line, and one stable sort by
    ``mono`` (each file is already in its writer's time order, so the sort merges sorted runs)."""
    records: list[LedgerRecord] = []
    torn = 0
    path = Path(directory)
    if not path.exists():
        return LedgerSnapshot([], 0)
    loads, record, append = json.loads, LedgerRecord, records.append
    with gc_paused():
        for file in sorted(path.glob("*.jsonl")):
            data = file.read_bytes()
            for raw in data.split(b"\n"):
                if not raw:
                    continue
                try:
                    append(record(**loads(raw)))
                except (ValueError, TypeError):
                    torn += 1
            del data
        records.sort(key=operator.attrgetter("mono"))
    return LedgerSnapshot(records, torn)
