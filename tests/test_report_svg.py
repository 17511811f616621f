"""The SVG builders on real cells (tests/report_data/run): the timeline's lanes, bars, marks and fault
windows come from the history, the ledger and the deployment; the throughput chart reads the
measurements generically. Every SVG must parse as XML (escaped data included)."""

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chaos.gating import load_report
from chaos.report.cell_view import load_cell
from chaos.report.svg_throughput import throughput_series, throughput_svg
from chaos.report.svg_timeline import W, _layout, build_timeline, render_timeline, timeline_svg

RUN = Path(__file__).parent / "report_data" / "run"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def report():
    return load_report(RUN)[1]  # as every reader of a stored run does: faults renamed since read as named now


def view(report, name):
    cell = next(c for c in report["cells"] if c["directory"].endswith("/" + name))
    return load_cell(cell, report, RUN)


def attempts_drawn(svg: str) -> list[dict]:
    root = ET.fromstring(svg)
    return [g.attrib for g in root.iter(f"{SVG}g") if g.get("class") == "attempt"]


def test_kill_worker_on_rq_lanes_marks_and_the_cut_off_job(report):
    v = view(report, "persistence-kill-worker-rq-default@aof-everysec")
    tl = build_timeline(v.cell, v.ops, v.ledger)
    origin = v.ops[0]["mono"]
    labels = [lane.label for lane in tl.lanes]
    assert labels[:4] == ["client (submissions)", "redis pid 4339", "worker pid 4344", "worker pid 4352"]
    killed, restarted = tl.lanes[2], tl.lanes[3]
    (note,) = [op for op in v.ops if op["kind"] == "fault" and op["type"] == "note"]
    (end,) = [op for op in v.ops if op["kind"] == "fault" and op["type"] == "end"]
    assert (killed.ended_by, killed.end) == ("kill", pytest.approx(note["mono"] - origin))
    assert restarted.start == pytest.approx(end["mono"] - origin)
    horses = {a["pid"] for t in v.tasks for a in t["attempts"]}
    assert {f"worker child pid {pid}" for pid in horses} <= set(labels)
    (t0,) = [b for b in tl.bars if b.key == "t0"]
    assert t0.end is None and t0.tail == pytest.approx(note["mono"] - origin)  # died with its worker
    assert {(m.kind, m.lane) for m in tl.marks} >= {("kill", "pid:4344"), ("restart", "pid:4352"), ("held", f"pid:{t0.pid}")}
    (band,) = tl.bands
    fault = v.verdict["evidence"]["faults"][0]
    assert (band.label, band.t0, band.t1) == ("kill-worker", pytest.approx(fault["start_mono"] - origin),
                                              pytest.approx(fault["end_mono"] - origin))
    assert [r.label for r in tl.rules] == ["heal all, drain", "drain end (deadline 7.2 s, timed out)"]
    svg = render_timeline(tl, "c1")
    drawn = attempts_drawn(svg)
    assert sorted((d["data-key"], d["data-end"]) for d in drawn) == \
        [("t0", "cut off"), ("t1", "succeeded"), ("t2", "succeeded"), ("t3", "succeeded"), ("t4", "succeeded")]
    assert "⚡ fault: kill-worker" in svg and 'id="hatch-c1"' in svg


def test_a_redelivered_task_has_two_bars_in_two_children(report):
    v = view(report, "persistence-kill-worker-celery-acks-late@aof-everysec")
    tl = build_timeline(v.cell, v.ops, v.ledger)
    bars = sorted((b for b in tl.bars if b.key == "t0"), key=lambda b: b.number)
    assert [b.end for b in bars] == [None, "succeeded"]
    assert bars[0].pid != bars[1].pid and bars[1].t0 > tl.bands[0].t1


def test_threads_of_one_process_go_to_separate_rows(report):
    v = view(report, "persistence-kill-worker-bgtasks@aof-everysec")
    tl = build_timeline(v.cell, v.ops, v.ledger)
    app = next(lane for lane in tl.lanes if lane.label.startswith("app pid") and lane.ended_by == "kill")
    mine = [i for i, b in enumerate(tl.bars) if b.lane == app.id]
    assert len(mine) == 5  # five BackgroundTasks in one process, all cut off by the kill
    placed, rows = _layout(tl, lambda t: 210 + t / tl.t_end * (W - 360))
    assert rows[app.id] == 5 and len({placed[i][0] for i in mine}) == 5


def test_data_is_escaped_and_the_svg_parses(report):
    v = view(report, "retry-none-rq-retry@aof-everysec")
    cell = copy.deepcopy(v.cell)
    cell["check"]["tasks"][0]["key"] = "<b>&\"x'"
    svg = timeline_svg(cell, v.ops, v.ledger, uid="a&b")
    root = ET.fromstring(svg)  # raises on anything unescaped
    assert root.get("data-cell") == "a&b"
    assert any(d["data-key"] == "<b>&\"x'" for d in attempts_drawn(svg))
    assert "<b>" not in svg


def test_a_timeline_from_report_json_alone(report):
    v = view(report, "persistence-kill-worker-rq-default@aof-everysec")
    svg = timeline_svg(v.cell, [], [], uid="bare")  # no history, no ledger files: attempts and faults only
    assert len(attempts_drawn(svg)) == sum(len(t["attempts"]) for t in v.tasks)


def throughput_report(*cells) -> dict:
    return {"verdicts": [{"claim": claim, "profile": profile, "result": {"measurements": m}} for claim, profile, m in cells]}


def test_throughput_measurements_are_read_generically():
    report = throughput_report(("throughput", "celery-default", {"4": 3.9, "10": 9.6, "tasks": "1000 x 1 s"}),
                               ("throughput", "rq-default", {"rq": {"1": 0.98, "4": 3.7}}),
                               ("throughput", "bgtasks", {"workers": {"1": 0.99}}),
                               ("persistence", "rq-default", {"4": 123.0}))
    assert throughput_series(report) == {"celery-default": {4.0: 3.9, 10.0: 9.6}, "rq-default: rq": {1.0: 0.98, 4.0: 3.7},
                                         "bgtasks: workers": {1.0: 0.99}}


def test_throughput_svg_draws_every_point():
    series = {"celery-default": {4.0: 3.9, 10.0: 9.6}, "rq <default>": {1.0: 0.98}}
    root = ET.fromstring(throughput_svg(series))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert [g.get("data-series") for g in groups] == ["celery-default", "rq <default>"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"3.9", "9.6", "0.98"} <= set(texts)
    assert throughput_series({"verdicts": []}) == {}
