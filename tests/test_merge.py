"""Merge (chaos/merge.py): shard runs joined into one run that the gate judges whole. On hand-made
shards (tests/report_data/run's six cells split in two): the merged report.json, page, junit.xml and
summary.md, cell directories moved beside them; a missing shard fails the gate naming it; a cell
run twice, another selection, different versions are refused (exit 2). On real cells: a small
matrix run as 2 shards and merged gives the verdicts and the gate of the same matrix run whole."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chaos import cli
from gate_data import REPORT_DATA_EXPECTATIONS
from chaos.gating import load_report
from chaos.merge import MergeError, merge_runs

pytest_plugins = ["pytester"]

RUN = Path(__file__).parent / "report_data" / "run"
EXPECTATIONS = REPORT_DATA_EXPECTATIONS


def tid(cell: dict) -> str:
    return f"tests/chaos/test_m.py::test_m[{cell['cell']}]"


def make_shard(root: Path, index: int, count: int, picks: list[int], *, of_subset: bool = False, **changes) -> Path:
    """Shard ``index``/``count`` of the stored run, holding the cells at ``picks``, as if it had run on
    another machine (its report.json's paths are the runner's, not where it lies now)."""
    _, base = load_report(RUN)
    base = json.loads(json.dumps(base))
    directory = root / f"s{index}"
    ran_at = f"/runner-{index}/reports/s{index}"
    cells = json.loads(json.dumps([base["cells"][i] for i in picks]).replace(base["run_dir"], ran_at))
    for cell in cells:
        shutil.copytree(RUN / "cells" / Path(cell["directory"]).name, directory / "cells" / Path(cell["directory"]).name)
    every = [tid(c) for c in base["cells"]]
    report = {**base, "run_id": f"run-shard{index}of{count}", "run_dir": ran_at, "cells": cells,
              "verdicts": [c["verdict"] for c in cells], "durations": {tid(c): 10.0 + i for i, c in enumerate(cells)},
              "selection": {"subset": True, "why": [f"shard {index}/{count}"],
                            "shard": {"index": index, "count": count, "of": {"subset": of_subset, "why": []},
                                      "cells": sorted(every), "assigned": sorted(tid(c) for c in cells)}}}
    report.update(changes)
    (directory / "report.json").write_text(json.dumps(report))
    return directory


@pytest.fixture
def shards(tmp_path):
    return [make_shard(tmp_path, 1, 2, [0, 2, 4]), make_shard(tmp_path, 2, 2, [1, 3, 5])]


def merge_cli(tmp_path, *runs, out="merged"):
    expectations = tmp_path / "expectations.toml"
    expectations.write_text(EXPECTATIONS)
    return cli.main(["--reports", str(tmp_path), "merge", *map(str, runs), "--out", str(tmp_path / out),
                     "--expectations", str(expectations)])


def test_merged_run_holds_every_shard_and_gates_as_a_full_run(tmp_path, shards, capsys):
    assert merge_cli(tmp_path, *shards) == 0
    out = tmp_path / "merged"
    _, base = load_report(RUN)
    report = json.loads((out / "report.json").read_text())
    assert sorted(v["cell"] for v in report["verdicts"]) == sorted(v["cell"] for v in base["verdicts"])
    assert {v["cell"]: v["verdict"] for v in report["verdicts"]} == {v["cell"]: v["verdict"] for v in base["verdicts"]}
    assert report["selection"]["subset"] is False and report["selection"]["merged"]["missing"] == []
    assert report["errors"] == [] and report["versions"] == base["versions"]
    assert len(report["durations"]) == 6 and [s["shard"] for s in report["shards"]] == ["1/2", "2/2"]
    for cell in report["cells"]:  # moved beside the merged report.json, and say so
        directory = Path(cell["directory"])
        assert directory.parent == out / "cells" and (directory / "history.jsonl").exists()
        assert str(out) in cell["verdict"]["evidence"]["replay"] and "/runner-" not in json.dumps(cell)
    assert sorted(p.name for p in (out / "shards").iterdir()) == ["shard-1-of-2.json", "shard-2-of-2.json"]
    cases = list(ET.parse(out / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == 6 and not [c for c in cases if len(c)]
    assert (out / "summary.md").read_text().startswith("# taskchaos gate: PASS — run `merged`")
    page = (out / "report.html").read_text()
    assert 'data-claim="retry" data-profile="rq-retry" data-verdict="holds"' in page
    assert "outside the run directory" not in page and "not beside report.json" not in page  # links into cells/
    printed = capsys.readouterr().out
    assert "merged shards 1, 2 of 2 (6 cells)" in printed and "gate: PASS — 6 cells observed, 6 as expected" in printed
    assert cli.main(["gate", str(out), "--expectations", str(tmp_path / "expectations.toml")]) == 0  # as stored


def test_a_missing_shard_fails_the_gate_naming_it(tmp_path, shards, capsys):
    assert merge_cli(tmp_path, shards[0]) == 1
    report = json.loads((tmp_path / "merged" / "report.json").read_text())
    (error,) = report["errors"]
    assert error["cell"] == "shard 2 of 2" and "shard 2/2 is missing" in error["error"]
    assert "--chaos-shard 2/2" in error["error"] and "Tests of the missing shards (3)" in error["error"]
    assert report["selection"]["subset"] is True and report["selection"]["why"][0] == "shard 2/2 missing"
    printed = capsys.readouterr().out
    assert "gate: FAIL" in printed and "  CRASHED shard 2 of 2: shard 2/2 is missing from the merge" in printed
    errors = [c for c in ET.parse(tmp_path / "merged" / "junit.xml").getroot().iter("testcase") if c.find("error") is not None]
    assert [c.get("name") for c in errors] == ["shard 2 of 2"]


def test_a_subset_split_into_shards_stays_a_subset(tmp_path):
    runs = [make_shard(tmp_path, 1, 2, [0, 2, 4], of_subset=True), make_shard(tmp_path, 2, 2, [1, 3, 5], of_subset=True)]
    _, report = merge_runs(runs, tmp_path / "merged", reports=tmp_path)
    assert report["selection"]["subset"] is True and report["errors"] == []


def test_a_cell_in_two_shards_is_refused(tmp_path, capsys):
    runs = [make_shard(tmp_path, 1, 2, [0, 2, 4]), make_shard(tmp_path, 2, 2, [1, 2, 5])]
    with pytest.raises(MergeError, match=r"ran twice: in shard 1/2 \(.*s1\) and in shard 2/2"):
        merge_runs(runs, tmp_path / "merged", reports=tmp_path)
    assert merge_cli(tmp_path, *runs, out="m2") == 2
    assert "ran twice" in capsys.readouterr().err and not (tmp_path / "m2").exists()


def test_the_same_shard_twice_is_refused(tmp_path, shards):
    with pytest.raises(MergeError, match="shard 1/2 given twice"):
        merge_runs([shards[0], shards[0]], tmp_path / "merged", reports=tmp_path)


def test_shards_on_different_versions_are_refused(tmp_path):
    _, base = load_report(RUN)
    runs = [make_shard(tmp_path, 1, 2, [0, 2, 4]),
            make_shard(tmp_path, 2, 2, [1, 3, 5], versions={**base["versions"], "celery": "9.9.9"})]
    with pytest.raises(MergeError, match=r"versions differ between shard 1/2 .* celery 5.7.0 vs 9.9.9"):
        merge_runs(runs, tmp_path / "merged", reports=tmp_path)


def test_shards_of_another_selection_or_code_or_no_shard_are_refused(tmp_path):
    one = make_shard(tmp_path, 1, 2, [0, 2, 4])
    (tmp_path / "b").mkdir()
    with pytest.raises(MergeError, match=r"different selections \(N differ\)"):
        merge_runs([one, make_shard(tmp_path / "b", 2, 3, [1, 3])], tmp_path / "m", reports=tmp_path)
    (tmp_path / "c").mkdir()
    with pytest.raises(MergeError, match="git_revision differ"):
        merge_runs([one, make_shard(tmp_path / "c", 2, 2, [1, 3, 5], git_revision="abc")], tmp_path / "m", reports=tmp_path)
    with pytest.raises(MergeError, match="not a shard's run"):
        merge_runs([one, RUN], tmp_path / "m", reports=tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    (tmp_path / "d").mkdir()
    with pytest.raises(MergeError, match="exists and is not empty"):
        merge_runs([one, make_shard(tmp_path / "d", 2, 2, [1, 3, 5])], tmp_path / "full", reports=tmp_path)


def test_default_out_is_the_run_merged_under_reports(tmp_path, shards):
    out, _ = merge_runs(shards, reports=tmp_path)
    assert out == (tmp_path / "run-merged").resolve()
    assert (tmp_path / "latest").resolve() == out


# Real cells: the same small matrix run whole, and as 2 shards merged. Cells whose task counts are
# the same in every run (retry/none/bgtasks is not: whether the submission after a failing body is
# reset depends on when it arrives, see expectations.toml), so that two runs compare whole.
MATRIX = """
import pytest

@pytest.mark.parametrize("profile", ["rq-retry", "rq-default"])
def test_retry(chaos, profile):
    chaos.check("retry", "none", profile)

def test_timeout(chaos):
    chaos.check("timeout", "none", "bgtasks")
"""
MATRIX_EXPECTATIONS = ('[retry.none]\nrq-retry = "holds"\nrq-default = "violated"\n'
                       '[timeout.none]\nbgtasks = "unsupported"\n')


def test_a_matrix_run_as_two_shards_and_merged_equals_it_run_whole(pytester):
    pytester.makepyfile(test_matrix=MATRIX)
    expectations = pytester.path / "expectations.toml"
    expectations.write_text(MATRIX_EXPECTATIONS)
    reports = pytester.path / "reports"
    common = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", f"--chaos-expectations={expectations}",
              f"--chaos-reports={reports}"]
    runs = {"whole": [], "s1": ["--chaos-shard=1/2"], "s2": ["--chaos-shard=2/2"]}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    procs = {name: subprocess.Popen([*common, f"--chaos-run-id={name}", *extra], cwd=pytester.path, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name, extra in runs.items()}  # at once: each cell's servers take ports of their own
    outputs = {name: proc.communicate(timeout=600)[0] for name, proc in procs.items()}
    for name, proc in procs.items():
        assert proc.returncode == 0, outputs[name]
    shard_tests = [json.loads((reports / s / "report.json").read_text())["selection"]["shard"]["assigned"] for s in ("s1", "s2")]
    assert sorted(len(t) for t in shard_tests) == [1, 2] and not set(shard_tests[0]) & set(shard_tests[1])

    assert cli.main(["merge", str(reports / "s1"), str(reports / "s2"), "--out", str(reports / "merged"),
                     "--expectations", str(expectations)]) == 0
    whole = json.loads((reports / "whole" / "report.json").read_text())
    merged = json.loads((reports / "merged" / "report.json").read_text())

    def verdicts(report):
        return [(v["cell"], v["verdict"], v["short"]) for v in report["verdicts"]]

    assert verdicts(merged) == verdicts(whole) and len(verdicts(whole)) == 3
    assert whole["selection"] == {"subset": False, "why": []} and merged["selection"]["subset"] is False
    def matrix(report):  # the same but for where the cells lie: the merged run's own directory
        return json.loads(json.dumps(report["matrix"]).replace(report["run_dir"], "RUN"))

    assert matrix(merged) == matrix(whole) and merged["errors"] == whole["errors"] == []
    assert sorted(merged["durations"]) == sorted(whole["durations"]) == [
        "test_matrix.py::test_retry[rq-default]", "test_matrix.py::test_retry[rq-retry]", "test_matrix.py::test_timeout"]

    def junit(run):
        return sorted((c.get("classname"), c.get("name"), [e.tag for e in c])
                      for c in ET.parse(reports / run / "junit.xml").getroot().iter("testcase"))

    assert junit("merged") == junit("whole")
    for run in ("whole", "merged"):
        assert (reports / run / "summary.md").read_text().startswith("# taskchaos gate: PASS")
    page = (reports / "merged" / "report.html").read_text()
    assert 'data-claim="retry" data-profile="rq-default" data-verdict="violated"' in page and "(missing)" not in page
    # the durations of the whole run refresh a durations file that the next split reads
    assert cli.main(["durations", str(reports / "whole"), "--out", str(pytester.path / "d.json")]) == 0
    assert set(json.loads((pytester.path / "d.json").read_text())["durations"]["quick"]) == set(whole["durations"])
