"""summary.md: the gate's decision first (the gate line and every cell that fails it, with the
command that replays or runs it: the same block as the top of report.html and of ``taskchaos
table``), then the verdict matrix, in Markdown fit for ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from chaos.judgement.gate import GateResult
from chaos.report.decision import decision, decision_markdown
from chaos.report.matrix import matrix_markdown


def summary_markdown(result: GateResult, matrix: dict, *, run_dir: str | None = None, run_id: str | None = None) -> str:
    d = decision(result)
    out = [f"# taskchaos gate: {d.word}" + (f" — run `{run_id}`" if run_id else ""), "", decision_markdown(d)]
    out += ["## Verdict matrix", "", matrix_markdown(matrix, base=run_dir)]
    if d.informational_not_run:
        out += [f"<details><summary>{d.informational_not_run} expected cells not run</summary>", ""]
        out += [f"- {c.message}" for c in result.not_run] + ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
