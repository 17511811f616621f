"""junit.xml from a gate result: one testcase per cell (classname = claim, name =
fault/profile@persistence), a ``failure`` with the message and the replay command for a changed
cell or one without expectation, ``skipped`` for an expected cell a subset run did not run, and an
``error`` for a cell that crashed. Each testcase's ``time`` is the cell's real run time (from
report.json's cells), so a CI dashboard shows where a run's time went; a cell not run has none."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chaos.judgement.gate import NOT_RUN, PASS, GateResult


def junit_xml(result: GateResult, *, suite: str = "taskchaos gate", times: dict[str, float] | None = None) -> str:
    """``times``: seconds per cell label (``claim/fault/profile@mode [infra]``), as report.json's cells say."""
    times = times or {}
    cases = []
    for c in result.cells:
        case = ET.Element("testcase", classname=c.claim, name=c.name)
        if c.cell in times:
            case.set("time", f"{times[c.cell]:.3f}")
        if c.status == NOT_RUN and not c.failing:
            ET.SubElement(case, "skipped", message=c.message)
        elif c.status != PASS:
            failure = ET.SubElement(case, "failure", message=c.message, type=c.status)
            failure.text = c.message + (f"\nreplay: {c.replay}" if c.replay and c.replay not in c.message else "")
        cases.append(case)
    for err in result.errors:
        claim, _, rest = err["cell"].partition("/")
        case = ET.Element("testcase", classname=claim, name=rest or err["cell"])
        ET.SubElement(case, "error", message=err["error"], type="crashed").text = err["error"]
        cases.append(case)
    failures = sum(1 for case in cases if case.find("failure") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    suite_el = ET.Element("testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                          errors=str(len(result.errors)), skipped=str(skipped),
                          time=f"{sum(float(case.get('time', 0)) for case in cases):.3f}")
    suite_el.extend(cases)
    root = ET.Element("testsuites")
    root.append(suite_el)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
