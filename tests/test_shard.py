"""Shards (chaos/shard.py): the split is deterministic, even by measured duration and puts every
test in exactly one shard; ``--chaos-shard K/N`` deselects the other shards' tests after -k and
records the selection before sharding; every run times its chaos tests; ``taskchaos durations``
refreshes the file and ``taskchaos run --shard`` passes the option on."""

import json
import random

import pytest

from chaos import cli
from chaos.shard import DURATIONS_FILE, ShardError, assign, load_durations, parse_shard, weights, write_durations_file

pytest_plugins = ["pytester"]


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/2", "3/2", "2", "a/b", "1/0", ""):
        with pytest.raises(ShardError):
            parse_shard(bad)


def durations_of(n, seed=7):
    rng = random.Random(seed)
    return {f"tests/chaos/test_x.py::test_x[c{i:03}]": round(rng.uniform(1, 60), 2) for i in range(n)}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_every_test_lands_in_exactly_one_shard(count):
    durations = durations_of(50)
    ids = [*durations, "tests/chaos/test_x.py::test_unmeasured"]
    shards = assign(ids, durations, count)
    assert len(shards) == count
    flat = [t for s in shards for t in s]
    assert sorted(flat) == sorted(ids)  # each once, none lost
    assert all(s == sorted(s) for s in shards)


def test_split_is_deterministic_whatever_the_order():
    durations = durations_of(40)
    ids = list(durations)
    first = assign(ids, durations, 3)
    random.Random(1).shuffle(ids)
    assert assign(ids, dict(reversed(list(durations.items()))), 3) == first
    assert assign(ids + ids[:5], durations, 3) == first  # an id twice counts once


def test_split_is_even_by_duration():
    """Greedy longest-first: the heaviest and lightest shard differ by at most the longest test."""
    durations = durations_of(200)
    for count in (2, 4, 6):
        loads = [sum(durations[t] for t in s) for s in assign(list(durations), durations, count)]
        assert max(loads) - min(loads) <= max(durations.values())
        assert max(loads) - min(loads) < 0.02 * sum(loads)  # many tests: nearly equal


def test_longest_first_to_the_lightest_shard_ties_by_id():
    durations = {"a": 10.0, "b": 6.0, "c": 5.0, "d": 4.0, "e": 1.0}
    # a 10 → 1; b 6 → 2; c 5 → 2 (6 < 10); d 4 → 1 (10 < 11); e 1 → 2 (11 < 14)
    assert assign(list(durations), durations, 2) == [["a", "d"], ["b", "c", "e"]]
    # equal weights: by id, round robin (fewer tests first on equal load)
    assert assign(["t4", "t2", "t1", "t3", "t5"], {}, 2) == [["t1", "t3", "t5"], ["t2", "t4"]]
    # zero-second tests (skipped ones) still spread over the shards
    assert [len(s) for s in assign(["x", "y", "z", "w"], {k: 0.0 for k in "xyzw"}, 4)] == [1, 1, 1, 1]


def test_an_unmeasured_test_weighs_the_median():
    assert weights(["a", "new"], {"a": 1.0, "b": 2.0, "c": 30.0}) == {"a": 1.0, "new": 2.0}
    assert weights(["new"], {}) == {"new": 10.0}


def test_the_committed_file_covers_the_suite_and_splits_it_evenly():
    durations = load_durations()
    assert len(durations) > 200 and all(k.startswith("tests/chaos/test_") for k in durations)
    shards = assign(list(durations), durations, 4)
    loads = [sum(durations[t] for t in s) for s in shards]
    assert max(loads) - min(loads) <= max(durations.values())
    assert load_durations(DURATIONS_FILE, "deep") == durations  # no deep table: the quick one


def test_durations_file_is_refreshed_from_runs(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"durations": {"quick": {"a": 1.0, "b": 2.0}}}))
    written = write_durations_file([{"run_id": "r1", "budget": "quick", "durations": {"b": 5.0, "c": 3.0}},
                                    {"run_id": "r2", "budget": "standard", "durations": {"a": 9.0}}], path)
    assert written == (path, 3)
    data = json.loads(path.read_text())
    assert data["durations"] == {"quick": {"a": 1.0, "b": 5.0, "c": 3.0}, "standard": {"a": 9.0}}
    assert data["runs"] == ["r1", "r2"]
    assert load_durations(path, "standard") == {"a": 9.0}
    with pytest.raises(ShardError, match="no durations"):
        write_durations_file([{"run_id": "old"}], path)


# The plugin, with tests that ask for the chaos fixture but run no cell (instant): what each shard
# selects and records.
TESTS = """
import pytest

@pytest.mark.parametrize("n", range(7))
def test_cell(chaos, n):
    pass

def test_other(chaos):
    pass

def test_plain():
    pass
"""


def run_shard(pytester, shard, *extra):
    durations = pytester.path / "durations.json"
    measured = {"test_cells.py::test_cell[0]": 60.0, **{f"test_cells.py::test_cell[{n}]": 10.0 for n in range(1, 7)}}
    durations.write_text(json.dumps({"durations": {"quick": measured}}))  # test_other: the median, 10 s
    (pytester.path / "expectations.toml").write_text("")
    name = shard.replace("/", "of")
    result = pytester.runpytest_subprocess("-p", "no:randomly", f"--chaos-shard={shard}", f"--chaos-durations={durations}",
                                           f"--chaos-expectations={pytester.path / 'expectations.toml'}",
                                           f"--chaos-reports={pytester.path / 'r'}", f"--chaos-run-id={name}", *extra)
    (record,) = [json.loads(p.read_text()) for p in (pytester.path / "r" / name / "selection").glob("*.json")]
    return result, record, pytester.path / "r" / name


def test_shards_of_a_selection_run_every_test_once_and_record_it(pytester):
    pytester.makepyfile(test_cells=TESTS)
    ran = []
    for shard in ("1/2", "2/2"):
        result, record, run_dir = run_shard(pytester, shard)
        assert result.ret == pytest.ExitCode.OK
        s = record["shard"]
        assert (s["index"], s["count"]) == (int(shard[0]), 2)
        assert len(s["cells"]) == 8 and s["of"] == {"subset": False, "why": []}  # the whole suite, before sharding
        assert record["subset"] is True and record["why"] == [f"shard {shard}: {len(s['assigned'])} of 8 selected chaos tests"]
        timed = json.loads((run_dir / "durations" / "main.json").read_text())
        assert sorted(timed) == s["assigned"] and all(v >= 0 for v in timed.values())
        result.assert_outcomes(passed=len(s["assigned"]) + 1, deselected=8 - len(s["assigned"]))  # test_plain: both
        ran.append(s["assigned"])
    assert sorted(ran[0] + ran[1]) == sorted(record["shard"]["cells"])
    # 60 s to shard 1; six of 10 s to shard 2 (60 s); test_other (10 s) to the one with fewer tests
    assert ran == [["test_cells.py::test_cell[0]", "test_cells.py::test_other"],
                   [f"test_cells.py::test_cell[{n}]" for n in range(1, 7)]]


def test_a_shard_splits_what_k_selected_and_says_so(pytester):
    pytester.makepyfile(test_cells=TESTS)
    result, record, _ = run_shard(pytester, "2/3", "-k", "not other")
    s = record["shard"]
    assert s["cells"] == [f"test_cells.py::test_cell[{n}]" for n in range(7)]
    assert s["of"] == {"subset": True, "why": ["1 chaos tests deselected"]}  # -k's, not the shard's
    result.assert_outcomes(passed=len(s["assigned"]) + 1, deselected=1 + 7 - len(s["assigned"]))


def test_more_shards_than_tests_is_refused(pytester):
    pytester.makepyfile(test_cells=TESTS)
    result = pytester.runpytest_subprocess("--chaos-shard=3/9", "-k", "test_other", f"--chaos-reports={pytester.path}/r")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chaos-shard 3/9: only 1 chaos tests are selected*"])
    result = pytester.runpytest_subprocess("--chaos-shard=0/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chaos-shard 0/2: K must be between 1 and N*"])


def test_taskchaos_run_shard_passes_the_option_and_names_the_run(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(pytest, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["--reports", str(tmp_path), "run", "--shard", "2/3", "--workers", "1", "-k", "retry"]) == 0
    (argv,) = seen
    assert "--chaos-shard=2/3" in argv and argv[-2:] == ["-k", "retry"]
    (run_id,) = [a.split("=", 1)[1] for a in argv if a.startswith("--chaos-run-id=")]
    assert run_id.endswith("-shard2of3")
    with pytest.raises(SystemExit):
        cli.main(["run", "--shard", "4/3"])
