"""The gate on a real stored run: one cheap cell (retry/none on rq-default: real redis-server, RQ
worker and app) run with ``taskchaos cell``, then ``taskchaos gate reports/latest`` — it passes
against the repository's expectations.toml, and turns red, naming the cell, when that cell's
expectation is flipped in a temporary copy; junit.xml parses with one testcase per cell."""

import json
import re
import signal
import xml.etree.ElementTree as ET

import pytest

from chaos.cli import main
from chaos.judgement.expectations import EXPECTATIONS_FILE

CELL = ("retry", "none", "rq-default")


def flip(text: str, claim: str, fault: str, profile: str, observed: str) -> tuple[str, str]:
    """``text`` with the expectation of one cell set to a verdict other than ``observed``."""
    other = "holds" if observed != "holds" else "violated"
    section = re.search(rf"^\[{claim}\.{fault}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert section, f"expectations.toml has no [{claim}.{fault}]"
    body, n = re.subn(rf'^{profile} = "[a-z-]+"', f'{profile} = "{other}"', section.group(1), count=1, flags=re.M)
    assert n == 1, f"no plain expectation for {profile} under [{claim}.{fault}]"
    return text[:section.start(1)] + body + text[section.end(1):], other


@pytest.fixture
def cli():
    handler = signal.getsignal(signal.SIGTERM)  # main() turns SIGTERM into KeyboardInterrupt
    yield main
    signal.signal(signal.SIGTERM, handler)


def test_gate_on_a_real_stored_run(tmp_path, capsys, cli):
    reports = tmp_path / "reports"
    cli(["--reports", str(reports), "cell", *CELL])
    latest = reports / "latest"
    assert latest.is_symlink() and (latest / "report.json").exists()
    capsys.readouterr()

    assert cli(["gate", str(latest)]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS — 1 cells observed, 1 as expected" in out
    (v,) = json.loads((latest / "report.json").read_text())["verdicts"]
    assert v["cell"] == "retry/none/rq-default@aof-everysec"

    flipped_text, other = flip(EXPECTATIONS_FILE.read_text(), *CELL, v["verdict"])
    flipped = tmp_path / "expectations.toml"
    flipped.write_text(flipped_text)
    assert cli(["gate", str(latest), "--expectations", str(flipped)]) == 1
    out = capsys.readouterr().out
    assert "gate: FAIL" in out
    assert (f"CHANGED retry/none/rq-default@aof-everysec: expected {other}, observed {v['short']} — replay: "
            f"taskchaos replay ") in out

    suite = ET.parse(latest / "junit.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 1
    observed = [c for c in cases if c.find("skipped") is None]
    assert [(c.get("classname"), c.get("name")) for c in observed] == [("retry", "none/rq-default@aof-everysec")]
    assert f"expected {other}, observed {v['short']}" in observed[0].find("failure").get("message")
    assert all(c.find("skipped") is not None for c in cases if c not in observed)  # a one-cell run is a subset
    summary = (latest / "summary.md").read_text()
    assert summary.startswith("# taskchaos gate: FAIL") and "retry/none/rq-default@aof-everysec: expected" in summary
