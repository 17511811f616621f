"""The pytest plugin, run with pytester on a real (fast) cell: a matching expectation passes and
writes report.json and the verdict table; a flipped one turns the run red (strict xfail)."""

import json

import pytest

pytest_plugins = ["pytester"]

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
    result.stdout.fnmatch_lines(["*taskchaos verdicts*", "*retry / none*holds*", "report: *report.json"])
    report = json.loads((reports / "latest" / "report.json").read_text())
    assert report["verdicts"][0]["cell"] == "retry/none/rq-retry@aof-everysec"
    assert report["verdicts"][0]["verdict"] == "holds"
    assert {"celery", "kombu", "rq", "redis", "fastapi", "python", "redis-server"} <= set(report["versions"])
    deployment = report["verdicts"][0]["evidence"]["deployment"]
    assert deployment["toxiproxy"]["flavour"] == "embedded"
    assert {s["driver"] for s in deployment["servers"].values()} == {"process"}
    tasks = report["cells"][0]["check"]["tasks"]
    assert any(t["requested_retries"] == 3 and t["outcome"] == "retried" for t in tasks)


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


def test_options_are_registered(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--chaos-budget*", "*--infra*", "*--chaos-expectations*", "*--chaos-reports*"])
