"""The corpus (chaos/corpus.py): files keyed by their cell, read under renamed fault names, refused
with the file's name when their cell no longer exists; and, on real servers, the story it exists
for — a search finds a counterexample, `taskchaos corpus add` keeps it, and then the quick and the
standard budget replay it first and agree on the cell's verdict, while an entry that no longer
reproduces is reported.

The counterexample is made here, in a temporary corpus, so no test depends on committed entries:
on rq-retry, a task whose every attempt runs past its time limit (it fails transiently once, as the
retry claim asks, but never gets to succeed) — the canonical retry workload holds on that profile.
"""

import json
import re
import subprocess
import sys

import pytest
from hypothesis import strategies as st

from chaos.cli import main
from chaos.corpus import CORPUS_DIR, CorpusError, add_entry, corpus_root, entries_for, entry_id, load_corpus
from chaos.explore import search_cell
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import FaultEvent, Scenario
from chaos.scenario.workloads import WORKLOADS

pytest_plugins = ["pytester"]

FOUND = {"date": "2026-01-01T00:00:00Z", "seed": 7, "budget": "deep", "command": "pytest tests/chaos", "versions": {}}
NEVER_SUCCEEDS = TaskSpec(key="x0", duration_s=2.0, fail_times=1, time_limit_s=1.0)


def retry_scenario(*extra: TaskSpec) -> Scenario:
    canonical = WORKLOADS["retry"]("none", "run", "quick")
    return canonical.varied(tasks=canonical.tasks[:2] + extra, pauses_s=())


def persistence_scenario(fault: str) -> Scenario:
    return Scenario(name="p", tasks=(TaskSpec(key="t0", duration_s=0.2, hold_at="start"), TaskSpec(key="t1")),
                    faults=(FaultEvent(fault, at_key="t0"),))


def test_an_entry_lives_in_its_cells_file_and_is_added_once(tmp_path):
    scenario = retry_scenario(NEVER_SUCCEEDS)
    entry, added = add_entry(tmp_path, "retry", "none", "rq-retry", "process", scenario, found=FOUND, verdict="violated 1/2")
    assert added and entry.id == entry_id(scenario) and (entry.tasks, entry.faults) == (3, 0)
    assert entry.path == tmp_path / "retry" / "none" / "rq-retry@aof-everysec.json"
    again, added = add_entry(tmp_path, "retry", "none", "rq-retry@aof-everysec", "process", scenario, found=FOUND)
    assert not added and again.id == entry.id
    (stored,) = entries_for(tmp_path, "retry", "none", "rq-retry@aof-everysec")
    assert stored.scenario == scenario and stored.found == FOUND and stored.verdict == "violated 1/2"
    data = json.loads(entry.path.read_text())
    assert data["cell"] == "retry/none/rq-retry@aof-everysec" and len(data["entries"]) == 1
    assert entries_for(tmp_path, "retry", "none", "rq-retry@aof-everysec", "docker") == []  # another cell
    docker, _ = add_entry(tmp_path, "retry", "none", "rq-retry", "docker", scenario, found=FOUND)
    assert docker.path.name == "rq-retry@aof-everysec.docker.json"
    assert [f.cell for f in load_corpus(tmp_path)] == ["retry/none/rq-retry@aof-everysec [docker]",
                                                       "retry/none/rq-retry@aof-everysec"]


def test_a_file_under_an_old_fault_name_is_read_as_the_new_one(tmp_path):
    path = tmp_path / "persistence" / "kill-redis" / "rq-default@aof-everysec.json"
    path.parent.mkdir(parents=True)
    old = persistence_scenario("kill-broker").to_json()
    old["faults"][0]["fault"] = "kill-redis"
    path.write_text(json.dumps({"format": 1, "claim": "persistence", "fault": "kill-redis", "profile": "rq-default",
                                "infra": "process", "entries": [{"scenario": old, "found": FOUND}]}))
    (entry,) = entries_for(tmp_path, "persistence", "kill-broker", "rq-default@aof-everysec")
    assert entry.scenario.faults[0].fault == "kill-broker"
    assert load_corpus(tmp_path)[0].cell == "persistence/kill-broker/rq-default@aof-everysec"
    # a new entry goes under the new name, and the old file's entry still counts
    add_entry(tmp_path, "persistence", "kill-redis", "rq-default", "process", persistence_scenario("kill-broker").varied(
        tasks=(TaskSpec(key="t0", duration_s=0.2, hold_at="start"),), pauses_s=()), found=FOUND)
    assert (tmp_path / "persistence" / "kill-broker" / "rq-default@aof-everysec.json").is_file()
    assert len(entries_for(tmp_path, "persistence", "kill-broker", "rq-default@aof-everysec")) == 2


@pytest.mark.parametrize("claim, fault, profile, where, message", [
    ("retry", "none", "rq-retyr", None, "unknown profile 'rq-retyr'"),
    ("persistence", "kill-everything", "rq-default", None, "unknown fault 'kill-everything'"),
    ("retry", "kill-child", "rq-default", None, "the suite never runs retry under 'kill-child'"),
    ("persistence", "kill-worker", "rq-default@rdb", "persistence/kill-worker/rq-default@aof-always.json",
     "which live in {root}/persistence/kill-worker/rq-default@rdb.json: move it there"),
])
def test_a_file_whose_cell_no_longer_exists_is_an_error_naming_it(tmp_path, claim, fault, profile, where, message):
    path = tmp_path / (where or f"{claim}/{fault}/{profile}.json")
    path.parent.mkdir(parents=True)
    scenario = persistence_scenario("kill-worker") if claim == "persistence" else retry_scenario()
    path.write_text(json.dumps({"format": 1, "claim": claim, "fault": fault, "profile": profile,
                                "entries": [{"scenario": scenario.to_json(), "found": FOUND}]}))
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    assert str(info.value).startswith(f"{path}: ") and message.format(root=tmp_path) in str(info.value)


def test_the_corpus_is_found_through_the_option_the_environment_or_the_repository(tmp_path, monkeypatch):
    monkeypatch.delenv("TASKCHAOS_CORPUS", raising=False)
    assert corpus_root() == CORPUS_DIR and (CORPUS_DIR / "README.md").is_file()
    monkeypatch.setenv("TASKCHAOS_CORPUS", str(tmp_path / "env"))
    assert corpus_root() == tmp_path / "env" and corpus_root(tmp_path / "opt") == tmp_path / "opt"


def test_the_committed_corpus_is_valid():
    load_corpus(CORPUS_DIR)


def test_corpus_list_shows_each_entry_with_its_size(tmp_path, capsys):
    add_entry(tmp_path, "retry", "none", "rq-retry", "process", retry_scenario(NEVER_SUCCEEDS), found=FOUND,
              verdict="violated 1/2", outcomes={"c0": "ok", "f0": "ok", "x0": "failed"})
    add_entry(tmp_path, "persistence", "kill-worker", "rq-default", "process", persistence_scenario("kill-worker"),
              found=FOUND)
    assert main(["corpus", "list", "--corpus", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"corpus {tmp_path}: 2 entries in 2 files" in out
    assert "retry/none/rq-retry@aof-everysec  (retry/none/rq-retry@aof-everysec.json)" in out
    assert "3 tasks, 0 faults  violated 1/2  found 2026-01-01T00:00:00Z (budget deep, seed 7)  c0 ok, f0 ok, x0 failed" in out
    assert "2 tasks, 1 faults" in out


def test_a_bad_corpus_stops_the_chaos_run_before_anything_runs(pytester, tmp_path):
    path = tmp_path / "corpus" / "retry" / "none" / "gone@aof-everysec.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": 1, "claim": "retry", "fault": "none", "profile": "gone", "entries": []}))
    pytester.makepyfile(test_cell='def test_retry(chaos):\n    chaos.check("retry", "none", "rq-retry")\n')
    result = pytester.runpytest_subprocess(f"--chaos-corpus={tmp_path / 'corpus'}", f"--chaos-reports={pytester.path}/r")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{path}: unknown profile 'gone'*"])
    assert not (pytester.path / "r").exists()


# -- on real servers ---------------------------------------------------------------------------------

CELL = "retry/none/rq-retry@aof-everysec"
CHAOS_TEST = 'def test_retry(chaos):\n    chaos.check("retry", "none", "rq-retry")\n'


def run_pytest(directory, *args) -> subprocess.CompletedProcess:
    """pytest in a child process, as a user runs it (not pytester: this test also runs cells in-process,
    and pytester's teardown would unload the modules they imported)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *map(str, args)],
                          cwd=directory, capture_output=True, text=True, timeout=900)


def test_a_search_finding_kept_in_the_corpus_gives_every_budget_the_same_verdict(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    # 1. a search finds it: the standard budget, drawing the canonical workload and a variation that
    #    adds a task that never succeeds (a stand-in for what a long search finds)
    canonical = WORKLOADS["retry"]("none", "run", "standard")
    found = canonical.varied(tasks=canonical.tasks + (NEVER_SUCCEEDS,), pauses_s=())
    run_dir = tmp_path / "search"
    searched = search_cell("retry", "none", "rq-retry", budget="standard", infra="process", run_dir=run_dir,
                           seed_value=1, corpus_dir=corpus, strategy=st.sampled_from([canonical, found]),
                           database_dir=None)
    searched.write()
    search = searched.record
    assert (searched.source, search["decisive"]["verdict"], search["canonical_verdict"]) == ("search", "violated 1/4", "holds")
    assert search["differs_from_canonical"]["tasks_added"][0]["key"] == "x0"
    assert search["corpus"]["replayed"] == 0

    # 2. `taskchaos corpus add` keeps it, once
    assert main(["corpus", "add", str(run_dir), "--corpus", str(corpus)]) == 0
    assert "corpus add: 1 entries added, 0 already present" in capsys.readouterr().out
    assert main(["corpus", "add", str(run_dir), "--corpus", str(corpus)]) == 0
    assert "corpus add: 0 entries added, 1 already present" in capsys.readouterr().out
    (entry,) = entries_for(corpus, "retry", "none", "rq-retry@aof-everysec")
    assert entry.scenario == found and entry.verdict == "violated 1/4"
    assert entry.found["seed"] == 1 and entry.found["budget"] == "standard" and entry.found["date"]
    assert {"rq", "redis", "python", "redis-server"} <= set(entry.found["versions"]) and entry.found["repeat"]
    # an entry that no longer breaks the claim (it did once, say, before a fix): kept, and reported
    stale, _ = add_entry(corpus, "retry", "none", "rq-retry", "process", retry_scenario(), found=FOUND,
                         verdict="violated 1/1")

    # 3. the quick and the standard budget replay both first, and agree
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_cell.py").write_text(CHAOS_TEST)
    expectations = suite / "expectations.toml"
    expectations.write_text('[retry.none]\nrq-retry = "violated"\n')
    verdicts = {}
    for budget in ("quick", "standard"):
        reports = tmp_path / budget
        result = run_pytest(suite, f"--chaos-budget={budget}", "--chaos-seed=1", f"--chaos-corpus={corpus}",
                            f"--chaos-expectations={expectations}", f"--chaos-reports={reports}")
        out = result.stdout
        assert result.returncode == 0 and "1 xfailed" in out, out + result.stderr  # expected violated, observed violated
        assert f"corpus {corpus}: 2 entries replayed in 1 cells, 1 reproduced\n" in out, out
        assert re.search(rf"^  corpus entry {stale.id} \({stale.tasks} tasks, 0 faults; .*\) no longer reproduces: holds",
                         out, re.MULTILINE), out
        (cell,) = json.loads((reports / "latest" / "report.json").read_text())["cells"]
        record = cell["search"]
        assert [e["id"] for e in record["corpus"]["entries"]] == [entry.id, stale.id]  # replayed, in corpus order
        assert record["corpus"]["no_longer_reproduce"] == [stale.id]
        assert (record["decisive"]["source"], record["decisive"]["entry"]) == ("corpus", entry.id)
        assert record["canonical_verdict"] == "holds"  # without the corpus this budget would say holds
        verdicts[budget] = (cell["verdict"]["cell"], cell["verdict"]["verdict"])
    assert verdicts["quick"] == verdicts["standard"] == (CELL, "violated")
