"""report.html from a real run's data (tests/report_data/run): self-contained, escaped, the matrix in
the seed's row order, a counterexample section per violated cell; `taskchaos report` renders it; the
live progress line reads a run directory."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gate_data import FLIPPED_REPORT_DATA, verdict

from chaos.gating import load_report
from chaos.cli import main
from chaos.judgement.expectations import Expectations
from chaos.judgement.gate import gate
from chaos.judgement.verdict import seed_table
from chaos.report.cell_view import cell_anchor
from chaos.report.html_page import render_html
from chaos.report.progress import RunWatcher, describe_running, progress_line

RUN = Path(__file__).parent / "report_data" / "run"


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def run_copy(tmp_path):
    shutil.copytree(RUN, tmp_path / "run")
    return tmp_path / "run"


@pytest.fixture(scope="module")
def report():
    return load_report(RUN)[1]  # as every reader of a stored run does: faults renamed since read as named now


@pytest.fixture(scope="module")
def page(report):
    return render_html(report, RUN)


def test_the_page_is_self_contained(page):
    parser = Tags()
    parser.feed(page)
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "link", "iframe", "img", "object", "embed"}
    for tag, attrs in parser.tags:
        for name in ("href", "src"):
            if name in attrs:
                assert not attrs[name].startswith(("http:", "https:", "//", "file:")), (tag, attrs)
    assert "@import" not in page and "url(http" not in page and "<style>" in page


def test_the_matrix_is_the_seeds_table(page, report):
    parser = Tags()
    parser.feed(page)
    cells = [attrs for tag, attrs in parser.tags if tag == "td" and "data-claim" in attrs]
    claims = list(dict.fromkeys(a["data-claim"] for a in cells))
    assert claims == list(seed_table())
    by = {(a["data-claim"], a["data-profile"]): a.get("data-verdict") for a in cells}
    assert by[("persistence", "rq-default")] == "violated"  # kill-worker and kill-broker[rdb] broke it
    assert by[("persistence", "bgtasks")] == "not-claimed"
    assert by[("persistence", "celery-acks-late")] == "holds"
    assert by[("retry", "rq-retry")] == "holds"
    assert by[("retry", "rq-default")] is None  # not run here
    assert "violated in 2 of 2 faults" in page


def test_each_violated_cell_has_its_counterexample(page, report):
    bad = [v for v in report["verdicts"] if v["verdict"] in ("violated", "not-claimed")]
    order = [page.index(f'<section class="cell {v["verdict"]}" id="{cell_anchor(v["evidence"]["directory"])}"') for v in bad]
    assert all(i > 0 for i in order)
    violated_last = max(i for i, v in zip(order, bad) if v["verdict"] == "violated")
    not_claimed_first = min(i for i, v in zip(order, bad) if v["verdict"] == "not-claimed")
    assert violated_last < not_claimed_first
    for v in bad:
        assert v["evidence"]["replay"] in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="timeline"') == len(report["cells"])


def test_logs_are_linked_relative_to_the_run(page):
    assert 'href="cells/persistence-kill-worker-rq-default@aof-everysec/logs/worker.log"' in page
    assert "worker.log</a> (missing)" in page  # the logs were not copied into the test data
    assert 'href="cells/persistence-kill-worker-rq-default@aof-everysec/history.jsonl"' in page


def test_the_environment_section(page, report):
    assert f"<code>{report['git_revision']}</code>" in page
    assert "visibility_timeout_s" in page and "client: socket_timeout_s" in page
    assert "embedded" in page and report["versions"]["celery"] in page
    assert 'data-role="throughput-not-run"' in page


def test_everything_from_data_is_escaped(report):
    evil = json.loads(json.dumps(report))
    evil["cells"][0]["verdict"]["evidence"]["deployment"]["profile"]["settings"]["description"] = "<script>alert(1)</script>"
    evil["command"] = ["pytest", "<img src=x onerror=alert(1)>"]
    evil["verdicts"][0]["short"] = "<b>bold</b>"
    out = render_html(evil, RUN)
    assert "<script>" not in out and "<img" not in out and "<b>bold</b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_the_report_command_renders_a_stored_run(run_copy, capsys):
    assert main(["report", str(run_copy)]) == 0
    assert capsys.readouterr().out.strip() == f"report page: {run_copy / 'report.html'}"
    assert (run_copy / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(run_copy / "nothing-here")]) == 2  # bad input: said, not a traceback
    assert "report.json" in capsys.readouterr().err


def test_progress_reads_the_run_directory(run_copy):
    running = run_copy / "cells" / "persistence-kill-worker-rq-default@aof-everysec"
    (running / "cell.json").unlink()
    (run_copy / "collected.json").write_text(json.dumps({"cells": 8}))
    (run_copy / "skipped").mkdir()
    (run_copy / "skipped" / "x.json").write_text("{}")
    progress = RunWatcher(run_copy).snapshot()
    assert (progress.done, progress.total, progress.skipped) == (6, 8, 1)
    (cell,) = progress.running
    assert describe_running(cell, ["persistence", "retry"]) == "persistence · kill-worker · rq-default@aof-everysec"
    line = progress_line(progress, ["persistence", "retry"], 75)
    assert line == ("1m15s · cells 6/8 done, 1 skipped · faults injected 5 · tasks finished 14/28 submitted · "
                    "running: persistence · kill-worker · rq-default@aof-everysec")


# The decision first: the gate's verdict and the cells that fail it, above the matrix.

FLIPPED = FLIPPED_REPORT_DATA


class Text(HTMLParser):
    """The page's text as a reader sees it (tags dropped, style left out)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag == "style"

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.fixture
def flipped(tmp_path):
    path = tmp_path / "expectations.toml"
    path.write_text(FLIPPED)
    return Expectations(path)


def test_a_failed_gate_is_said_first_with_each_changed_cell_and_its_replay(report, flipped):
    crashed = dict(report, errors=[{"cell": "retry/none/rq-default [process]", "error": "RunError: the app never answered"}])
    page = render_html(crashed, RUN, expectations=flipped)
    result = gate(crashed["verdicts"], flipped, subset=True, errors=crashed["errors"])
    assert not result.passed and len(result.changed) == 2
    matrix = page.index('<table class="matrix"')
    decision = page.index('data-role="gate-decision"')
    assert decision < page.index('data-role="summary"') < matrix
    assert 'data-gate="FAIL"' in page
    text = text_of(page)
    gate_line = result.lines()[0].split("; expectations: ")[0]
    assert gate_line.startswith("gate: FAIL — 6 cells observed, 4 as expected, 2 changed,") and "1 crashed" in gate_line
    assert gate_line in text and text.index(gate_line) < text.index("Verdicts: the seed's claims")
    by_cell = {v["cell"]: v for v in crashed["verdicts"]}
    for changed in result.changed:
        v = by_cell[changed.cell]
        row = page.index(f'<tr data-status="changed" data-cell="{changed.cell}">')
        replay = page.index(v["evidence"]["replay"], row)
        assert row < replay < matrix  # in document order: the cell, then its replay command, then the matrix
        assert page.index(f'href="#{cell_anchor(v["evidence"]["directory"])}"', row) < replay
    assert "persistence/kill-worker/celery-acks-late@aof-everysec" in text[:text.index("Verdicts: the seed")]
    row = page.index('<tr data-status="changed" data-cell="persistence/kill-worker/rq-default@aof-everysec">')
    assert page.index("<td>holds</td>", row) < page.index("violated 1/5", row)  # expected, then observed
    crash = page.index('<tr data-status="crashed" data-cell="retry/none/rq-default [process]">')
    assert crash < matrix and page.index("taskchaos cell retry none rq-default", crash) < matrix


def test_a_passing_gate_says_so_first(page, report):
    assert page.index('data-gate="PASS"') < page.index('<table class="matrix"')
    text = text_of(page)
    assert "gate: PASS — 6 cells observed, 6 as expected, 0 changed" in text
    assert "expected cells not run: informational, the run was a subset of the suite" in text
    assert 'data-status="changed"' not in page


def test_a_full_run_lists_expected_cells_that_were_not_run(report, flipped, tmp_path):
    path = tmp_path / "more.toml"
    path.write_text(FLIPPED + '\n[status.none]\nrq-default = "holds"\n')
    page = render_html(dict(report, selection={"subset": False, "why": []}), RUN, expectations=path)
    row = page.index('<tr data-status="not-run" data-cell="status/none/rq-default">')
    assert row < page.index("taskchaos cell status none rq-default", row) < page.index('<table class="matrix"')


def test_unreadable_expectations_still_render_the_page(report, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[persistence.kill-worker\n")
    page = render_html(report, RUN, expectations=bad)
    assert 'data-gate="NOT JUDGED"' in page and "the expectations could not be read" in text_of(page)
    assert '<table class="matrix"' in page


def test_a_matrix_cell_shows_the_tasks_lost_duplicated_and_retried(tmp_path):
    """Two profiles, the same fault, the same "violated" over 1 of 1 fault: 3 lost of 6 reads differently
    from 1 lost of 6."""
    verdicts = [verdict("persistence", "kill-worker", "celery-default", "violated", violations=3, relevant=6,
                        counts={"lost": 3, "ok": 3}),
                verdict("persistence", "kill-worker", "rq-default", "violated", violations=1, relevant=6,
                        counts={"lost": 1, "retried": 2, "ok": 3}),
                verdict("distributed", "kill-worker", "rq-default", "violated", violations=2, relevant=6,
                        counts={"duplicated": 2, "ok": 4})]
    page = render_html({"run_id": "r1", "verdicts": verdicts, "cells": [], "errors": []}, tmp_path)
    parser = Tags()
    parser.feed(page)
    cells = {(a["data-claim"], a["data-profile"]): a for tag, a in parser.tags if tag == "td" and "data-claim" in a}
    three, one = cells[("persistence", "celery-default")], cells[("persistence", "rq-default")]
    assert three["data-verdict"] == one["data-verdict"] == "violated"
    assert (three["data-lost"], three["data-retried"], three["data-tasks"]) == ("3", "0", "6")
    assert (one["data-lost"], one["data-retried"], one["data-tasks"]) == ("1", "2", "6")
    assert cells[("distributed", "rq-default")]["data-duplicated"] == "2"

    def td_text(claim, profile):
        start = page.index(f'data-claim="{claim}" data-profile="{profile}"')
        return text_of(page[start:page.index("</td>", start)])

    assert "tasks: 3 lost of 6" in td_text("persistence", "celery-default")
    assert "tasks: 1 lost, 2 retried of 6" in td_text("persistence", "rq-default")
    assert "tasks: 2 duplicated of 6" in td_text("distributed", "rq-default")


def test_table_prints_the_decision_first(tmp_path, capsys):
    expectations = tmp_path / "expectations.toml"
    expectations.write_text(FLIPPED)
    assert main(["table", str(RUN), "--expectations", str(expectations)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gate: FAIL — 6 cells observed, 4 as expected, 2 changed")
    first = out.split("\n\n")[0].splitlines()
    assert first[1] == ("  CHANGED persistence/kill-worker/celery-acks-late@aof-everysec: expected violated, "
                        "observed holds")
    assert first[2].startswith("    replay: taskchaos replay ") and "--profile celery-acks-late@aof-everysec" in first[2]
    assert out.index("CHANGED persistence/kill-worker/rq-default@aof-everysec") < out.index("claim (seed row)")
    assert out.split("\n\n")[1].startswith("6 cells over 5 profiles")  # then the short summary
    assert "violated 2/2 [4 lost 1 stuck/10]" in out
