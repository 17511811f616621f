"""The ledger: records survive kill -9 of their writer, torn lines are counted, attempts are atomic."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from chaos.records.ledger import LedgerWriter, read_ledger, release


def run_writer(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_records_written_before_kill_9_are_kept(tmp_path):
    proc = run_writer(f"""
        import os, signal
        from chaos.records.ledger import LedgerWriter
        w = LedgerWriter({str(tmp_path)!r}, "test")
        for i in range(200):
            w.append(f"k{{i}}", "id", 1, "started")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert proc.returncode == -signal.SIGKILL
    snapshot = read_ledger(tmp_path)
    assert len(snapshot.records) == 200 and snapshot.torn_lines == 0
    assert {r.key for r in snapshot.records} == {f"k{i}" for i in range(200)}


def test_torn_last_line_is_counted_not_fatal(tmp_path):
    w = LedgerWriter(tmp_path, "test")
    w.append("a", "id", 1, "started")
    with open(tmp_path / f"{os.getpid()}.jsonl", "ab") as f:
        f.write(b'{"key": "a", "task_id": "id", "att')  # a writer killed mid-line
    snapshot = read_ledger(tmp_path)
    assert len(snapshot.records) == 1 and snapshot.torn_lines == 1


def test_one_file_per_writer_process(tmp_path):
    w = LedgerWriter(tmp_path, "test")
    w.append("a", "id", 1, "started")
    run_writer(f"""
        from chaos.records.ledger import LedgerWriter
        LedgerWriter({str(tmp_path)!r}, "test").append("b", "id", 1, "started")
    """)
    files = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert len(files) == 2
    assert {r.key for r in read_ledger(tmp_path).records} == {"a", "b"}


def test_attempt_numbers_are_unique_across_concurrent_processes(tmp_path):
    code = f"""
        from chaos.records.ledger import LedgerWriter
        w = LedgerWriter({str(tmp_path)!r}, "test")
        print(" ".join(str(w.next_attempt("k")) for _ in range(100)))
    """
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    numbers = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        numbers += [int(n) for n in out.split()]
    assert sorted(numbers) == list(range(1, 301))


def test_unknown_event_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown ledger event"):
        LedgerWriter(tmp_path, "test").append("a", "id", 1, "exploded")


def test_release_is_visible_to_writers(tmp_path):
    w = LedgerWriter(tmp_path, "test")
    assert not w.is_released("a")
    release(tmp_path, "a")
    assert w.is_released("a") and not w.is_released("b")


def test_missing_directory_reads_as_empty(tmp_path):
    snapshot = read_ledger(tmp_path / "nope")
    assert snapshot.records == [] and snapshot.torn_lines == 0
