"""The report page in a real headless Chromium, on a real run: one cheap cell with a violation
(persistence / kill-worker on rq-default: the killed worker's job stays 'started'), rendered, opened;
the DOM must show the run's real numbers (from report.json) in the matrix and in the SVG timeline, and
a screenshot is saved next to the report (reports/<run>/report.png) whose first screen shows the
violated cell in its colour.

Skipped, with the package to install, when Chromium is missing (./run installs it as root)."""

from __future__ import annotations

import json
import os
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chromium import PACKAGE, dump_dom, find_chromium, screenshot
from png import colour_counts

from chaos.cell import run_cell
from chaos.report.cell_view import cell_anchor
from chaos.report.html_page import write_html
from chaos.report.json_report import build_report, write_report

pytestmark = pytest.mark.skipif(find_chromium() is None, reason=f"Chromium is not installed: install the Debian package "
                                f"{PACKAGE} (apt-get install {PACKAGE}); ./run does it when run as root")

CLAIM, FAULT, PROFILE = "persistence", "kill-worker", "rq-default"
VIOLATED_TD = bytes.fromhex("fdecec")  # td.c-violated in html_page.CSS


class Elements(HTMLParser):
    """Every element as (tag, attributes, text inside it), from a DOM dump."""

    def __init__(self):
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "br", "line", "rect", "polyline", "img", "link", "input"):
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        return [el for el in self.elements if el["tag"] == tag
                and all(el["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def real_run(request):
    root = Path(request.config.getoption("--chaos-reports"))
    root = root if root.is_absolute() else Path(request.config.rootpath) / root
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-browser-test"
    run_dir = root / run_id
    started = time.time()
    cell = run_cell(CLAIM, FAULT, PROFILE, budget="quick", infra="process", run_dir=run_dir)
    data = json.loads((cell.directory / "cell.json").read_text())
    report = build_report(run_id=run_id, run_dir=run_dir, cells=[data], started_wall=started, budget="quick",
                          infra="process", errors=[], argv=["pytest", request.node.nodeid])
    write_report(report, run_dir, latest=False)  # reports/latest stays the last real chaos run
    return report, run_dir, write_html(report, run_dir)


def test_the_page_renders_the_runs_numbers_in_chromium(real_run):
    report, run_dir, page = real_run
    verdict = report["verdicts"][0]
    assert verdict["verdict"] == "violated", (
        f"this test needs a violated cell; {verdict['cell']} came out {verdict['short']} (expectations.toml says "
        f"violated: if that changed, pick another cheap violated cell here)")
    dom = Elements()
    dom.feed(dump_dom(page))

    (td,) = dom.find("td", data_claim=CLAIM, data_profile=PROFILE)
    assert td["attrs"]["data-verdict"] == "violated"
    assert verdict["short"] in td["text"]  # e.g. "violated 1/5", the run's own counts
    for other in report["profiles"]:
        if other != PROFILE:
            assert "not run" in dom.find("td", data_claim=CLAIM, data_profile=other)[0]["text"]

    anchor = cell_anchor(verdict["evidence"]["directory"])
    (svg,) = dom.find("svg", data_cell=anchor)
    assert svg["attrs"]["class"] == "timeline"
    tasks = report["cells"][0]["check"]["tasks"]
    expected = {(t["key"], str(a["number"]), str(a["pid"])) for t in tasks for a in t["attempts"]}
    drawn = {(g["attrs"]["data-key"], g["attrs"]["data-attempt"], g["attrs"]["data-pid"]) for g in dom.find("g", **{"class": "attempt"})}
    assert drawn == expected and expected
    ops = [json.loads(line) for line in (Path(verdict["evidence"]["directory"]) / "history.jsonl").read_text().splitlines()]
    origin = ops[0]["mono"]
    (fault,) = verdict["evidence"]["faults"]
    (window,) = dom.find("g", data_fault=FAULT)
    assert f"({fault['start_mono'] - origin:.2f}–{fault['end_mono'] - origin:.2f} s)" in window["text"]
    server_pids = {str(p) for s in verdict["evidence"]["deployment"]["servers"].values() for p in s["pids"]}
    lanes = {g["attrs"]["data-lane"] for g in dom.find("g", **{"class": "lane"})}
    assert {f"pid:{p}" for p in server_pids} <= lanes

    (words,) = dom.find("p", data_role="scenario-words")
    for key in verdict["result"]["violating_keys"]:
        outcome = next(t["outcome"] for t in tasks if t["key"] == key)
        assert f"{key} {outcome}" in words["text"]
    assert "SIGKILL" in words["text"]
    assert dom.find("p", data_role="throughput-not-run")

    png = screenshot(page, run_dir / "report.png")
    width, height, colours = colour_counts(png, max_rows=900)
    assert (width, height) == (1400, 1800)
    assert colours[VIOLATED_TD] > 1000, "the violated matrix cell's colour is not on the first screen"
