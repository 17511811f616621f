"""The pytest plugin, run with pytester on a real (fast) cell: a matching expectation passes and
writes report.json, the verdict table, junit.xml and summary.md; a flipped one turns the run red
(strict xfail); an expected cell that a full run did not run fails the gate, a subset run only
reports it; a bad expectations file stops the run before anything runs."""

import json
import xml.etree.ElementTree as ET

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def empty_corpus(tmp_path, monkeypatch):
    """These tests are about the plugin, not about what the committed corpus holds (tests/test_corpus.py is)."""
    monkeypatch.setenv("TASKCHAOS_CORPUS", str(tmp_path / "empty-corpus"))

CHAOS_TEST = """
def test_retry(chaos):
    chaos.check("retry", "none", "rq-retry")
"""


def run(pytester, expectation: str, *extra):
    pytester.makepyfile(test_cell=CHAOS_TEST)
    path = pytester.path / "expectations.toml"
    path.write_text(f'[retry.none]\nrq-retry = "{expectation}"\n')
    reports = pytester.path / "reports"
    return pytester.runpytest_subprocess("-p", "no:randomly", f"--chaos-expectations={path}",
                                         f"--chaos-reports={reports}", *extra), reports


def test_matching_expectation_passes_and_writes_the_report(pytester):
    result, reports = run(pytester, "holds")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*taskchaos verdicts*", "*retry / none*holds*", "report: *report.json",
                                 "report page: *report.html"])
    report = json.loads((reports / "latest" / "report.json").read_text())
    assert 'data-claim="retry" data-profile="rq-retry" data-verdict="holds"' in (reports / "latest" / "report.html").read_text()
    assert report["verdicts"][0]["cell"] == "retry/none/rq-retry@aof-everysec"
    assert report["verdicts"][0]["verdict"] == "holds"
    assert {"celery", "kombu", "rq", "redis", "fastapi", "python", "redis-server"} <= set(report["versions"])
    deployment = report["verdicts"][0]["evidence"]["deployment"]
    assert deployment["toxiproxy"]["flavour"] == "embedded"
    assert {s["driver"] for s in deployment["servers"].values()} == {"process"}
    tasks = report["cells"][0]["check"]["tasks"]
    assert any(t["requested_retries"] == 3 and t["outcome"] == "retried" for t in tasks)
    assert report["selection"] == {"subset": False, "why": []}
    assert report["matrix"]["rows"][1]["cells"]["rq-retry"]["summary"] == "holds 1 of 1 fault"
    result.stdout.fnmatch_lines(["*taskchaos verdict matrix*", "retry * holds 1/1*", "gate: PASS — 1 cells observed, 1 as expected*"])
    search = report["cells"][0]["search"]  # the quick budget: no corpus entry, the canonical workload decides
    assert search["corpus"]["replayed"] == 0 and search["decisive"]["source"] == "canonical"
    assert search["differs_from_canonical"]["same"] and not search["shrink_cap_hit"]
    result.stdout.fnmatch_lines(["*taskchaos corpus*", "corpus *empty-corpus: no entry for the cells of this run"])
    assert (reports / "latest" / "summary.md").read_text().startswith("# taskchaos gate: PASS")
    (case,) = ET.parse(reports / "latest" / "junit.xml").getroot().iter("testcase")
    assert (case.get("classname"), case.get("name"), list(case)) == ("retry", "none/rq-retry@aof-everysec", [])


def test_flipped_expectation_turns_the_run_red(pytester):
    result, _ = run(pytester, "violated")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*expectations.toml: violated*"])


def test_another_failing_verdict_than_the_expected_one_turns_the_run_red(pytester):
    """Not only holds against a failure: violated where unsupported was expected fails too."""
    pytester.makepyfile(test_cell=CHAOS_TEST.replace("rq-retry", "rq-default"))  # no retries: violated
    path = pytester.path / "expectations.toml"
    path.write_text('[retry.none]\nrq-default = "unsupported"\n')
    result = pytester.runpytest_subprocess(f"--chaos-expectations={path}", f"--chaos-reports={pytester.path}/r")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*observed violated 2/2, but expectations.toml says unsupported*"])


def test_missing_expectation_fails_with_the_line_to_add(pytester):
    pytester.makepyfile(test_cell=CHAOS_TEST)
    path = pytester.path / "expectations.toml"
    path.write_text('[retry.none]\nrq-default = "violated"\n')
    result = pytester.runpytest_subprocess(f"--chaos-expectations={path}", f"--chaos-reports={pytester.path}/r")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*no expectation for retry/none/rq-retry@aof-everysec; observed holds: add rq-retry = "holds"*'])


def test_bad_expectations_file_stops_before_anything_runs(pytester):
    pytester.makepyfile(test_cell=CHAOS_TEST)
    path = pytester.path / "expectations.toml"
    path.write_text('[retry.none]\nrq-retyr = "holds"\n')
    result = pytester.runpytest_subprocess(f"--chaos-expectations={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{path}:2: unknown profile 'rq-retyr'*"])


TWO_CELLS = """
def test_retry_rq_retry(chaos):
    chaos.check("retry", "none", "rq-retry")

def test_retry_rq_default(chaos):
    chaos.check("retry", "none", "rq-default")
"""


def test_expected_cell_not_run_fails_a_full_run_but_not_a_subset(pytester):
    path = pytester.path / "expectations.toml"
    path.write_text('[retry.none]\nrq-retry = "holds"\nrq-default = "violated"\n')
    # a subset (-k deselects rq-default): the test passes, rq-default's expectation is only reported
    (pytester.mkdir("subset") / "test_cells.py").write_text(TWO_CELLS)
    result = pytester.runpytest_subprocess("subset", "-p", "no:randomly", "-k", "rq_retry",
                                           f"--chaos-expectations={path}", f"--chaos-reports={pytester.path}/r1")
    result.assert_outcomes(passed=1, deselected=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["gate: PASS*1 expected but not run (subset run)*"])
    # a full run (every test of its directory) that never runs rq-default: its test passes, the gate fails
    (pytester.mkdir("full") / "test_cell.py").write_text(CHAOS_TEST)
    result = pytester.runpytest_subprocess("full", "-p", "no:randomly", f"--chaos-expectations={path}",
                                           f"--chaos-reports={pytester.path}/r2")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["gate: FAIL*", "  NOT RUN retry/none/rq-default: expected violated, not run"])
    junit = ET.parse(pytester.path / "r2" / "latest" / "junit.xml").getroot()
    failures = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failures] == [("retry", "none/rq-default")]


@pytest.mark.parametrize("text, message", [
    ('[retry.none]\nrq-retry = "holds"\n\n[retry.none\n', "{path}:4: malformed TOML"),
    ('[retry]\nnone = "holds"\n', "{path}:2: [retry.none] must be a table of profiles"),
])
def test_malformed_or_misshapen_expectations_stop_before_anything_runs(pytester, text, message):
    pytester.makepyfile(test_cell=CHAOS_TEST)
    path = pytester.path / "expectations.toml"
    path.write_text(text)
    result = pytester.runpytest_subprocess(f"--chaos-expectations={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message.format(path=path) in result.stderr.str()
    assert not (pytester.path / "reports").exists()


def test_options_are_registered(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--chaos-budget*", "*--infra*", "*--chaos-expectations*", "*--chaos-reports*",
                                 "*--chaos-corpus*"])
