"""summary.md: the gate's decision, the changed cells and the verdict matrix, in Markdown fit for
``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from chaos.judgement.gate import GateResult
from chaos.report.matrix import matrix_markdown


def summary_markdown(result: GateResult, matrix: dict, *, run_dir: str | None = None, run_id: str | None = None) -> str:
    observed = [c for c in result.cells if c.status != "not-run"]
    out = [f"# taskchaos gate: {'PASS' if result.passed else 'FAIL'}" + (f" — run `{run_id}`" if run_id else ""), "",
           f"{len(observed)} cells observed; {len(result.changed)} changed, {len(result.no_expectation)} without "
           f"expectation, {len(result.errors)} crashed, {len(result.not_run)} expected but not run"
           + (" (a subset run: informational)" if result.subset else "") + f". Expectations: `{result.expectations}`.", ""]
    for title, cells in (("Changed cells", result.changed), ("Cells without expectation", result.no_expectation)):
        if cells:
            out += [f"## {title}", ""] + [f"- {c.message.split(' — replay: ')[0]}"
                                          + (f"  \n  replay: `{c.replay}`" if c.replay else "") for c in cells] + [""]
    if result.errors:
        out += ["## Crashed cells", ""] + [f"- {e['cell']}: {e['error']}" for e in result.errors] + [""]
    failing_not_run = [c for c in result.not_run if c.failing]
    if failing_not_run:
        out += ["## Expected cells that were not run", ""] + [f"- {c.message}" for c in failing_not_run] + [""]
    out += ["## Verdict matrix", "", matrix_markdown(matrix, base=run_dir)]
    if result.not_run and not failing_not_run:
        out += [f"<details><summary>{len(result.not_run)} expected cells not run</summary>", ""]
        out += [f"- {c.message}" for c in result.not_run] + ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
