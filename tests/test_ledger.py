"""The ledger: records survive kill -9 of their writer, torn lines are counted, attempts are atomic."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from chaos.records.ledger import LedgerRecord, LedgerSnapshot, LedgerWriter, read_ledger, release


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


def _write_jsonl(path, records, torn_tail=b""):
    path.write_bytes(b"".join(json.dumps(r.to_json(), separators=(",", ":")).encode() + b"\n" for r in records)
                     + torn_tail)


def test_for_key_index_returns_what_a_linear_filter_returns(tmp_path):
    # several keys, several attempts each, interleaved in time across writers whose file names sort
    # in another order than their records' times; one torn tail; ties in mono across files
    rng = random.Random(14)
    by_pid: dict[int, list[LedgerRecord]] = {9: [], 10: [], 100: [], 2: []}
    t = 0.0
    for n in range(40):
        key = f"k{n % 7}"
        for attempt in (1, 2, 3)[: rng.randint(1, 3)]:
            pid = rng.choice(list(by_pid))
            for event in ("started", "succeeded", "returned")[: rng.randint(1, 3)]:
                t += rng.choice((0.0, 0.5, 1.0))  # 0.0: records of equal time (the sort must stay stable)
                by_pid[pid].append(LedgerRecord(key, f"id-{key}", attempt, event, pid, "test", t, t))
    for pid, records in by_pid.items():
        _write_jsonl(tmp_path / f"{pid}.jsonl", records, b'{"key":"k1","task_id"' if pid == 10 else b"")
    snapshot = read_ledger(tmp_path)
    assert snapshot.torn_lines == 1 and len(snapshot.records) == sum(map(len, by_pid.values()))
    assert [r.mono for r in snapshot.records] == sorted(r.mono for r in snapshot.records)
    keys = {r.key for r in snapshot.records}
    assert len(keys) == 7
    for key in sorted(keys) + ["never-ran"]:
        assert snapshot.for_key(key) == [r for r in snapshot.records if r.key == key]
        assert [r.attempt for r in snapshot.for_key(key)] == [r.attempt for r in snapshot.records if r.key == key]


def test_for_key_answers_a_fresh_list_and_follows_a_changed_record_list():
    a1 = LedgerRecord("a", "id", 1, "started", 1, "test", 1.0, 1.0)
    b1 = LedgerRecord("b", "id", 1, "started", 1, "test", 2.0, 2.0)
    a2 = LedgerRecord("a", "id", 2, "started", 1, "test", 3.0, 3.0)
    snapshot = LedgerSnapshot([a1, b1], 0)
    first = snapshot.for_key("a")
    first.append(b1)  # the caller's list: the snapshot's index is not changed by it
    assert snapshot.for_key("a") == [a1]
    snapshot.records.append(a2)  # grown after the index was built
    assert snapshot.for_key("a") == [a1, a2]
    snapshot.records = [b1]  # replaced
    assert snapshot.for_key("a") == [] and snapshot.for_key("b") == [b1]
    assert LedgerSnapshot([a1], 0) == LedgerSnapshot([a1], 0)  # the index is no part of equality


def test_read_ledger_orders_by_mono_and_keeps_file_order_for_ties(tmp_path):
    r = [LedgerRecord("k", "id", 1, "started", pid, "test", 1.0, mono) for pid, mono in
         ((1, 5.0), (2, 1.0), (2, 5.0), (3, 0.5))]
    _write_jsonl(tmp_path / "1.jsonl", [r[0]])
    _write_jsonl(tmp_path / "2.jsonl", [r[1], r[2]])
    _write_jsonl(tmp_path / "3.jsonl", [r[3]])
    (tmp_path / "attempts").mkdir()
    assert read_ledger(tmp_path).records == [r[3], r[1], r[0], r[2]]


def test_lines_that_are_not_records_are_counted_torn(tmp_path):
    good = LedgerRecord("k", "id", 1, "started", 1, "test", 1.0, 1.0)
    no_detail = {k: v for k, v in good.to_json().items() if k != "detail"}
    _write_jsonl(tmp_path / "1.jsonl", [good])
    with open(tmp_path / "1.jsonl", "ab") as f:
        f.write(b"[1, 2]\n42\n" + json.dumps(good.to_json() | {"extra": 1}).encode() + b"\n"
                + json.dumps({"key": "k"}).encode() + b"\n" + json.dumps(no_detail).encode() + b"\n")
    snapshot = read_ledger(tmp_path)
    assert snapshot.torn_lines == 4 and snapshot.records == [good, good]  # detail has a default
