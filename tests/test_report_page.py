"""report.html from a real run's data (tests/report_data/run): self-contained, escaped, the matrix in
the seed's row order, a counterexample section per violated cell; `taskchaos report` renders it; the
live progress line reads a run directory."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chaos.cli import main
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
    return json.loads((RUN / "report.json").read_text())


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
    assert by[("persistence", "rq-default")] == "violated"  # kill-worker and kill-redis[rdb] broke it
    assert by[("persistence", "bgtasks")] == "not-claimed"
    assert by[("persistence", "celery-acks-late")] == "holds"
    assert by[("retry", "rq-retry")] == "holds"
    assert by[("retry", "rq-default")] is None  # not run here
    assert "violated in 2 of 2" in page


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
