"""The gate's decision, as the first thing a reader sees: the gate line (PASS/FAIL and its counts,
exactly as ``taskchaos gate`` prints it) and every cell that makes it fail — changed, crashed,
without expectation, expected but not run — with what was expected, what was observed and the
command that replays (or runs) it. One list of rows, three forms: the terminal (``taskchaos table``),
Markdown (summary.md) and HTML (the top of report.html).

The page and ``taskchaos table`` are rendered from report.json alone, which does not store the gate:
:func:`judge_report` judges it again, against the expectations file the run was gated with (the
``--chaos-expectations`` of its command line, else ``$TASKCHAOS_EXPECTATIONS``, else the repository's
expectations.toml), exactly as :func:`chaos.gating.gate_report` does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html import escape as e
from pathlib import Path

from chaos.judgement.gate import LEFT_OUT_NOTE, GateResult, gate

# What each kind of row is called, in the order they are listed (worst first).
KINDS = {"crashed": "CRASHED", "changed": "CHANGED", "no-expectation": "NO EXPECTATION", "not-run": "NOT RUN"}
CRASHED_CELL = re.compile(r"^(?P<claim>[^/\s]+)/(?P<fault>[^/\s]+)/(?P<profile>\S+?)(?: \[(?P<infra>[^\]]+)\])?$")


@dataclass
class DecisionRow:
    kind: str  # crashed / changed / no-expectation / not-run
    cell: str  # claim/fault/profile@persistence [infra]
    expected: str | None
    observed: str  # the verdict with its counts ("violated 1/5"), "crashed: <error>", "not run"
    command: str | None  # replay (observed cells) or run (crashed, not run) command
    command_is_replay: bool = True
    hint: str = ""  # e.g. the expectations line to add

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Decision:
    result: GateResult | None  # None: the run could not be judged (reason says why)
    reason: str = ""
    rows: list[DecisionRow] = field(default_factory=list)
    informational_not_run: int = 0  # expected cells not run by a subset run or left out by the budget (no fail)
    left_out: int = 0  # of those, the cells the run's budget leaves out (profiles' quick_cells)

    @property
    def word(self) -> str:
        return "NOT JUDGED" if self.result is None else "PASS" if self.result.passed else "FAIL"

    @property
    def headline(self) -> str:
        """The gate line without the expectations file: ``gate: FAIL — 6 cells observed, ...``."""
        if self.result is None:
            return f"gate: NOT JUDGED — {self.reason}"
        return self.result.lines()[0].split("; expectations: ", 1)[0]

    @property
    def gate_line(self) -> str:
        """The gate line as ``taskchaos gate`` prints it (with the expectations file)."""
        return self.headline if self.result is None else self.result.lines()[0]

    @property
    def expectations(self) -> str | None:
        return None if self.result is None else self.result.expectations


def run_command(claim: str, fault: str, profile: str, persistence: str | None, infra: str | None) -> str:
    """The command that runs one cell again from nothing (what a crashed or missing cell needs)."""
    target = profile if persistence is None or "@" in profile else f"{profile}@{persistence}"
    return f"taskchaos cell {claim} {fault} {target}" + ("" if infra in (None, "process") else f" --infra {infra}")


def _crashed_command(cell: str) -> str | None:
    m = CRASHED_CELL.match(cell.strip())
    return run_command(m["claim"], m["fault"], m["profile"], None, m["infra"]) if m else None


def decision(result: GateResult | None, reason: str = "") -> Decision:
    """The rows of a gate result: crashed, changed, without expectation, then (when they fail the
    gate) expected cells not run; each once."""
    if result is None:
        return Decision(None, reason or "no gate result")
    rows: list[DecisionRow] = []
    for err in result.errors:
        cell = str(err.get("cell", "?"))
        rows.append(DecisionRow("crashed", cell, None, f"crashed: {err.get('error', '')}", _crashed_command(cell), False))
    for c in result.changed:
        rows.append(DecisionRow("changed", c.cell, c.expected, c.short or str(c.observed), c.replay))
    for c in result.no_expectation:
        rows.append(DecisionRow("no-expectation", c.cell, None, c.short or str(c.observed), c.replay,
                                hint=f'add {c.profile} = "{c.observed}" under [{c.claim}.{c.fault}]'))
    failing = [c for c in result.not_run if c.failing]
    for c in failing:
        rows.append(DecisionRow("not-run", c.cell, c.expected, "not run",
                                run_command(c.claim, c.fault, c.profile, c.persistence, c.infra), False))
    return Decision(result, rows=rows, informational_not_run=len(result.not_run) - len(failing),
                    left_out=len(result.budget_left_out))


def expectations_of(report: dict) -> Path | None:
    """The expectations file a stored run was gated with: its command line's ``--chaos-expectations``
    (relative to the run's working directory), else ``$TASKCHAOS_EXPECTATIONS``; None: the default."""
    argv = [str(a) for a in report.get("command") or []]
    for i, arg in enumerate(argv):
        value = None
        if arg.startswith("--chaos-expectations="):
            value = arg.split("=", 1)[1]
        elif arg == "--chaos-expectations" and i + 1 < len(argv):
            value = argv[i + 1]
        if value:
            path = Path(value)
            return path if path.is_absolute() else Path(report.get("cwd") or ".") / path
    env = os.environ.get("TASKCHAOS_EXPECTATIONS")
    return Path(env) if env else None


def judge_report(report: dict, expectations=None) -> Decision:
    """The gate's decision on a stored report. ``expectations``: an Expectations object, a path, or
    None (the file the run was gated with, see :func:`expectations_of`). An expectations file that
    cannot be read gives a decision that says so instead of raising: the page is still rendered."""
    from chaos.gating import load_expectations
    from chaos.judgement.expectations import Expectations

    try:
        if not isinstance(expectations, Expectations):
            expectations = load_expectations(expectations if expectations is not None else expectations_of(report))
    except Exception as exc:  # ExpectationError, a missing file, an unknown profile: said, not raised
        return Decision(None, f"the expectations could not be read ({type(exc).__name__}: {exc})")
    selection = report.get("selection") or {"subset": True}
    result = gate(report.get("verdicts") or [], expectations, subset=bool(selection.get("subset", True)),
                  errors=report.get("errors") or [])
    return decision(result)


# The three forms.


def _row_lines(row: DecisionRow) -> list[str]:
    if row.kind == "crashed":
        head = f"{row.label} {row.cell}: {row.observed}"
    elif row.kind == "not-run":
        head = f"{row.label} {row.cell}: expected {row.expected}, not run"
    elif row.kind == "no-expectation":
        head = f"{row.label} {row.cell}: observed {row.observed}, no expectation ({row.hint})"
    else:
        head = f"{row.label} {row.cell}: expected {row.expected}, observed {row.observed}"
    verb = "replay" if row.command_is_replay else "run it"
    return [head, f"{verb}: {row.command}" if row.command else f"{verb}: —"]


def _informational(d: Decision) -> str:
    n, budget = d.informational_not_run - d.left_out, d.left_out
    parts = []
    if n:
        parts.append(f"{n} expected cell{'s' if n != 1 else ''} not run: informational, the run was a subset of the suite")
    if budget:
        parts.append(f"{budget} expected cell{'s' if budget != 1 else ''} {LEFT_OUT_NOTE}")
    return "; ".join(parts)


def decision_text(d: Decision) -> str:
    """The terminal form: the gate line, then each failing cell with its command (indented)."""
    out = [d.gate_line]
    for row in d.rows:
        head, command = _row_lines(row)
        out += [f"  {head}", f"    {command}"]
    if _informational(d):
        out.append(f"  {_informational(d)}")
    return "\n".join(out)


def decision_markdown(d: Decision) -> str:
    """Markdown: the gate line in bold, then each failing cell with its command in code."""
    head = d.headline
    out = [f"**{head}**" + (f" · expectations: `{d.expectations}`" if d.expectations else ""), ""]
    for row in d.rows:
        line, command = _row_lines(row)
        verb, _, cmd = command.partition(": ")
        out.append(f"- {line}  \n  {verb}: " + (f"`{cmd}`" if row.command else "—"))
    if d.rows:
        out.append("")
    if _informational(d):
        out += [f"_{_informational(d)}._", ""]
    return "\n".join(out)


def decision_html(d: Decision, anchors: dict[str, str] | None = None, *, badge=None, shown: int = 12) -> str:
    """The page's first block. ``anchors``: cell name → the page's anchor of its evidence; ``badge``:
    the page's verdict badge function; ``shown``: rows listed before the rest is folded."""
    anchors = anchors or {}
    word = d.word
    kind = {"PASS": "pass", "FAIL": "fail"}.get(word, "none")
    head = d.headline.removeprefix(f"gate: {word}").lstrip(" —")
    line = (f'<p class="gate-line"><span class="gate gate-{kind}">gate: {e(word)}</span> — '
            f'<span data-role="gate-counts">{e(head)}</span></p>')
    facts = []
    if d.expectations:
        facts.append(f"expectations: <code>{e(d.expectations)}</code>")
    if _informational(d):
        facts.append(e(_informational(d)))
    if word == "PASS" and not d.rows:
        facts.append("every observed cell shows what the expectations say")
    small = f'<p class="small">{" · ".join(facts)}</p>' if facts else ""

    def tr(row: DecisionRow) -> str:
        anchor = anchors.get(row.cell) or ("errors" if row.kind == "crashed" else None)
        cell = f'<code>{e(row.cell)}</code>'
        if anchor:
            cell = f'<a href="#{e(anchor)}">{cell}</a>'
        observed = e(row.observed)
        if badge is not None and row.kind in ("changed", "no-expectation"):
            observed = badge(row.observed.split(" ", 1)[0], row.observed)
        verb = "replay" if row.command_is_replay else "run it"
        command = f'<span class="small">{verb}:</span> <code class="cmd">{e(row.command)}</code>' if row.command else "—"
        hint = f'<div class="small">{e(row.hint)}</div>' if row.hint else ""
        return (f'<tr data-status="{e(row.kind)}" data-cell="{e(row.cell)}"><td><b>{e(row.label)}</b></td><td>{cell}</td>'
                f'<td>{e(row.expected or "—")}</td><td>{observed}{hint}</td><td>{command}</td></tr>')

    table = ""
    if d.rows:
        head_row = ("<thead><tr><th></th><th>cell</th><th>expected</th><th>observed</th>"
                    "<th>command</th></tr></thead>")
        first, rest = d.rows[:shown], d.rows[shown:]
        table = f'<table class="gate-cells">{head_row}<tbody>{"".join(tr(r) for r in first)}</tbody></table>'
        if rest:
            table += (f'<details><summary>{len(rest)} more cells that fail the gate</summary>'
                      f'<table class="gate-cells">{head_row}<tbody>{"".join(tr(r) for r in rest)}</tbody></table></details>')
    return (f'<section class="decision decision-{kind}" id="decision" data-role="gate-decision" data-gate="{e(word)}">'
            f'{line}{small}{table}</section>')
