"""The gate over hand-built verdicts and expectation files: what passes, what fails and how each
changed cell is named; junit.xml and summary.md; ``taskchaos gate`` exit codes, bad input first."""

import json
import xml.etree.ElementTree as ET

import pytest
from gate_data import verdict

from chaos.cli import main
from chaos.judgement.expectations import Expectations
from chaos.judgement.gate import gate
from chaos.report.junit import junit_xml
from chaos.report.matrix import build_matrix
from chaos.report.summary import summary_markdown

EXPECTATIONS = """
[persistence.kill-worker]
celery-default = "violated"
celery-acks-late = "holds"

[persistence.kill-broker]
rq-default = { none = "violated", aof-always = "holds" }

"""
MEASURED = """
[throughput.none]
rq-default = "measured"
"""


@pytest.fixture
def expectations(tmp_path):
    path = tmp_path / "expectations.toml"
    path.write_text(EXPECTATIONS + MEASURED)
    return Expectations(path)  # not checked against the registered claims: the gate is about data


def as_expected() -> list[dict]:
    return [verdict("persistence", "kill-worker", "celery-default", "violated", violations=1),
            verdict("persistence", "kill-worker", "celery-acks-late", "holds"),
            verdict("persistence", "kill-broker", "rq-default", "violated", persistence="none", violations=4),
            verdict("persistence", "kill-broker", "rq-default", "violated", persistence="none", violations=4, infra="docker"),
            verdict("persistence", "kill-broker", "rq-default", "holds", persistence="aof-always"),
            verdict("throughput", "none", "rq-default", "measured", measurements={"tasks_per_s": 3.0})]


def test_a_run_as_expected_passes(expectations):
    result = gate(as_expected(), expectations, subset=False)
    assert result.passed, result.lines()
    assert len(result.cells) == 6 and not result.changed and not result.not_run
    assert result.lines()[0].startswith("gate: PASS — 6 cells observed, 6 as expected")


def test_a_violation_expected_to_hold_fails_and_is_named(expectations):
    run = as_expected()
    run[1] = verdict("persistence", "kill-worker", "celery-acks-late", "violated", violations=1)
    result = gate(run, expectations, subset=False)
    assert not result.passed
    (changed,) = result.changed
    assert changed.message == (
        "persistence/kill-worker/celery-acks-late@aof-everysec: expected holds, observed violated 1/5 — replay: "
        "taskchaos replay /runs/r1/cells/persistence-kill-worker-celery-acks-late@aof-everysec/scenario.json "
        "--profile celery-acks-late@aof-everysec --claim persistence --fault kill-worker --infra process")
    assert any(line.startswith("  CHANGED persistence/kill-worker/celery-acks-late@aof-everysec") for line in result.lines())


def test_a_pass_expected_to_fail_fails_too(expectations):
    run = as_expected()
    run[3] = verdict("persistence", "kill-broker", "rq-default", "holds", persistence="none", infra="docker")
    (changed,) = gate(run, expectations, subset=False).changed
    assert changed.cell == "persistence/kill-broker/rq-default@none [docker]"
    assert changed.message.startswith("persistence/kill-broker/rq-default@none [docker]: expected violated, observed holds")


def test_measured_is_never_gated_on_numbers(expectations):
    run = as_expected()
    run[5] = verdict("throughput", "none", "rq-default", "measured", measurements={"tasks_per_s": 0.001})
    assert gate(run, expectations, subset=False).passed
    run[5] = verdict("throughput", "none", "rq-default", "inconclusive", relevant=0)
    assert [c.cell for c in gate(run, expectations, subset=False).changed] == ["throughput/none/rq-default@aof-everysec"]


def test_a_cell_without_expectation_fails_with_the_line_to_add(expectations):
    run = [*as_expected(), verdict("retry", "none", "rq-retry", "holds")]
    result = gate(run, expectations, subset=True)
    assert not result.passed
    (missing,) = result.no_expectation
    assert 'add rq-retry = "holds" under [retry.none]' in missing.message


def test_expected_cells_not_run_fail_a_full_run_and_inform_a_subset(expectations):
    run = [v for v in as_expected() if v["persistence"] != "aof-always"]
    full = gate(run, expectations, subset=False)
    assert not full.passed
    assert [c.message for c in full.not_run] == ["persistence/kill-broker/rq-default@aof-always: expected holds, not run"]
    subset = gate(run, expectations, subset=True)
    assert subset.passed
    assert "informational" in subset.not_run[0].message
    md = summary_markdown(full, build_matrix(run, ["rq-default"]))
    assert ("- NOT RUN persistence/kill-broker/rq-default@aof-always: expected holds, not run  \n"
            "  run it: `taskchaos cell persistence kill-broker rq-default@aof-always`\n") in md
    assert md.index("NOT RUN") < md.index("## Verdict matrix")
    informed = summary_markdown(subset, build_matrix(run, ["rq-default"]))
    assert "- NOT RUN" not in informed
    assert "_1 expected cell not run: informational, the run was a subset of the suite._" in informed
    assert "<details><summary>1 expected cells not run</summary>" in informed


def test_cells_the_budget_leaves_out_fail_nothing_and_are_counted_apart(expectations):
    """A profile's quick_cells: the quick budget does not run the others; the gate says so, red for none."""
    run = [v for v in as_expected() if v["persistence"] != "aof-always"]

    def left_out(claim, fault, profile, mode):
        return "the quick budget runs 1 cell of rq-default" if (profile, mode) == ("rq-default", "aof-always") else None

    result = gate(run, expectations, subset=False, left_out=left_out)
    assert result.passed and not any(c.failing for c in result.cells)
    (cell,) = result.not_run
    assert cell.left_out and cell.message.endswith("not run: the quick budget runs 1 cell of rq-default")
    head = result.lines()[0]
    assert "0 expected but not run, 1 left out by the budget" in head
    assert any("1 expected cells left out by the run's budget" in line for line in result.lines())


def test_a_crashed_cell_fails(expectations):
    result = gate(as_expected(), expectations, subset=True,
                  errors=[{"cell": "retry/none/rq-retry@aof-everysec [process]", "error": "RunError: app never answered"}])
    assert not result.passed
    assert "  CRASHED retry/none/rq-retry@aof-everysec [process]: RunError: app never answered" in result.lines()


def test_junit_has_one_testcase_per_cell(expectations):
    run = as_expected()
    run[1] = verdict("persistence", "kill-worker", "celery-acks-late", "violated", violations=1)
    run.pop(4)  # aof-always not run
    result = gate(run, expectations, subset=True)
    suite = ET.fromstring(junit_xml(result)).find("testsuite")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert len(cases) == 6 and suite.get("tests") == "6" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    failure = cases[("persistence", "kill-worker/celery-acks-late@aof-everysec")].find("failure")
    assert "expected holds, observed violated 1/5" in failure.get("message")
    assert "taskchaos replay" in failure.text
    assert cases[("persistence", "kill-broker/rq-default@aof-always")].find("skipped") is not None
    assert cases[("persistence", "kill-broker/rq-default@none [docker]")].find("failure") is None
    assert cases[("throughput", "none/rq-default@aof-everysec")].find("failure") is None


def test_junit_testcases_carry_each_cells_real_time(expectations):
    run = as_expected()
    result = gate(run, expectations, subset=True)
    times = {v["cell"]: 10.0 + i for i, v in enumerate(run)}
    suite = ET.fromstring(junit_xml(result, times=times)).find("testsuite")
    by_name = {f"{c.get('classname')}/{c.get('name')}": c.get("time") for c in suite.findall("testcase")}
    assert all(by_name[cell] == f"{seconds:.3f}" for cell, seconds in times.items())
    assert float(suite.get("time")) == sum(times.values())


def test_summary_has_the_decision_the_changed_cells_and_the_matrix(expectations):
    run = as_expected()
    run[1] = verdict("persistence", "kill-worker", "celery-acks-late", "violated", violations=1)
    result = gate(run, expectations, subset=True)
    result.errors.append({"cell": "retry/none/rq-retry@aof-everysec [docker]", "error": "RunError: app never answered"})
    md = summary_markdown(result, build_matrix(run, ["celery-default", "celery-acks-late", "rq-default"]), run_id="r1")
    head, matrix = md.split("## Verdict matrix")
    assert head.startswith("# taskchaos gate: FAIL — run `r1`\n\n**" + result.lines()[0].split("; expectations")[0] + "**")
    assert "1 changed" in head and "1 crashed" in head
    changed = ("- CHANGED persistence/kill-worker/celery-acks-late@aof-everysec: expected holds, observed violated 1/5  \n"
               f"  replay: `{run[1]['evidence']['replay']}`\n")
    crashed = ("- CRASHED retry/none/rq-retry@aof-everysec [docker]: crashed: RunError: app never answered  \n"
               "  run it: `taskchaos cell retry none rq-retry@aof-everysec --infra docker`\n")
    assert changed in head and crashed in head and head.index(crashed) < head.index(changed)  # crashed first
    assert "| persistence: an accepted task survives restarts | violated 1 of 1 fault — 4 ok of 5 tasks | " in matrix


# `taskchaos gate` on hand-built run directories


def stored_run(tmp_path, verdicts, *, subset=False):
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(json.dumps({"run_id": "run", "verdicts": verdicts, "errors": [],
                                                 "selection": {"subset": subset, "why": []}}))
    return run


def test_cli_gate_pass_and_fail(tmp_path, capsys):
    expectations = tmp_path / "expectations.toml"
    expectations.write_text(EXPECTATIONS)
    run = stored_run(tmp_path, as_expected()[:5])
    assert main(["gate", str(run), "--expectations", str(expectations)]) == 0
    assert "gate: PASS" in capsys.readouterr().out
    assert (run / "junit.xml").exists() and (run / "summary.md").read_text().startswith("# taskchaos gate: PASS")
    flipped = tmp_path / "flipped.toml"
    flipped.write_text(EXPECTATIONS.replace('celery-acks-late = "holds"', 'celery-acks-late = "violated"'))
    junit, summary = tmp_path / "out" / "j.xml", tmp_path / "out" / "s.md"
    assert main(["gate", str(run), "--expectations", str(flipped), "--junit", str(junit), "--summary", str(summary)]) == 1
    assert "CHANGED persistence/kill-worker/celery-acks-late@aof-everysec: expected violated, observed holds" in capsys.readouterr().out
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "1"
    assert "- CHANGED persistence/kill-worker/celery-acks-late@aof-everysec: expected violated, observed holds" in summary.read_text()


@pytest.mark.parametrize("text, where", [
    ("[persistence.kill-worker\ncelery-default = 'holds'\n", ":1: malformed TOML"),
    ('[persistence.kill-worker]\ncelery-default = "holds"\n[speed.none]\nrq-default = "holds"\n', ":3: unknown claim 'speed'"),
    ('[persistence.kill-worker]\ncelery-defualt = "holds"\n', ":2: unknown profile 'celery-defualt'"),
    ('[persistence.kill-worker]\ncelery-default = "fine"\n', ":2: unknown verdict 'fine'"),
    ('[persistence.kill-broker]\nrq-default = { fsync = "holds" }\n', ":2: unknown persistence mode 'fsync'"),
    ('[persistence]\nkill-worker = "holds"\n', ":2: [persistence.kill-worker] must be a table of profiles"),
])
def test_cli_gate_refuses_bad_expectations_with_file_and_line(tmp_path, capsys, text, where):
    expectations = tmp_path / "bad.toml"
    expectations.write_text(text)
    run = stored_run(tmp_path, as_expected())
    assert main(["gate", str(run), "--expectations", str(expectations)]) == 2
    assert f"taskchaos: {expectations}{where}" in capsys.readouterr().err
    assert not (run / "junit.xml").exists()


@pytest.mark.parametrize("content, message", [
    (None, "no report.json at"),
    ("{not json", "not a readable report.json"),
    ('{"cells": []}', "no 'verdicts' list"),
    ('{"verdicts": [{"claim": "retry"}]}', "verdicts[0] lacks fault, profile, persistence, verdict"),
])
def test_cli_gate_refuses_a_bad_run_directory(tmp_path, capsys, content, message):
    run = tmp_path / "run"
    run.mkdir()
    if content is not None:
        (run / "report.json").write_text(content)
    assert main(["gate", str(run)]) == 2
    assert message in capsys.readouterr().err
