"""report.html: one self-contained page per run (inline CSS and SVG, no script, no network resource),
rendered from report.json and the cells' directories. What a person reads after a run:

1. the gate's decision (PASS/FAIL with the gate line's counts, and every changed, crashed, missing
   cell with what was expected, what was observed and its replay command), a short ranked summary,
   then the verdict matrix (the seed's table: claims × profiles; each cell with its verdict over the
   fault variants and the tasks lost / duplicated / retried in them);
2. for each violated (and not-claimed) cell, the counterexample in words, the replay command, the
   affected tasks with their ledger attempts, status answers and submissions, and a timeline;
3. every other cell, folded, with the same evidence;
4. the throughput chart (or "not run");
5. the environment: versions, profile settings, drivers, revision, command line; and links to every
   server's log.

Everything that comes from data is escaped here or in the SVG builders.
"""

from __future__ import annotations

import shlex
from html import escape as e
from pathlib import Path

from chaos.judgement.gate import GateResult
from chaos.landing import words as landing_words
from chaos.report.cell_view import CellView, cell_anchor, load_cell, relative_to_run
from chaos.report.decision import Decision, decision, decision_html, judge_report
from chaos.report.matrix import TASK_ORDER, task_tally, tasks_text
from chaos.report.matrix_source import verdict_matrix
from chaos.report.svg_throughput import throughput_series, throughput_svg
from chaos.report.svg_timeline import timeline_svg
from chaos.report.words import WORST_FIRST, drain_in_words, fault_label, scenario_in_words, summary_paragraph

SYMBOL = {"holds": "✔", "violated": "✘", "not-claimed": "⊘", "unsupported": "∅", "measured": "≈", "inconclusive": "?"}
COUNTEREXAMPLES = ("violated", "not-claimed")
BROKE = frozenset(TASK_ORDER) - {"retried"}  # task outcomes the matrix shows in bold

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1400px;padding:16px 24px;color:#212121;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:2px solid #cfd8dc;padding-bottom:2px;margin-top:1.6em}
h3{margin:.3em 0}.meta{color:#546e7a;font-size:.9em}.summary{font-size:1.05em;background:#fafafa;border-left:4px solid #546e7a;padding:8px 12px}
table{border-collapse:collapse}th,td{border:1px solid #cfd8dc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eceff1}.matrix td{min-width:96px;font-size:.88em}.matrix th{font-size:.9em}.matrix td.claim{min-width:170px;font-size:.95em}
.v{display:inline-block;font-weight:bold;padding:1px 6px;border-radius:3px;border:1px solid}
.v-holds{background:#e8f5e9;border-color:#2e7d32;color:#1b5e20}.v-violated{background:#ffebee;border-color:#c62828;color:#b71c1c}
.v-not-claimed{background:#fff3e0;border-color:#ef6c00;color:#e65100}.v-unsupported{background:#eceff1;border-color:#607d8b;color:#37474f}
.v-measured{background:#e3f2fd;border-color:#1565c0;color:#0d47a1}.v-inconclusive{background:#f3e5f5;border-color:#6a1b9a;color:#4a148c}
.v-none{background:#fff;border-color:#b0bec5;color:#78909c;font-weight:normal}
td.c-holds{background:#f1f8f1}td.c-violated{background:#fdecec}td.c-not-claimed{background:#fff6ea}td.c-unsupported{background:#f3f5f6}
td.c-measured{background:#eef6fd}td.c-inconclusive{background:#f8eefa}
.seed{color:#546e7a;font-size:.85em}ul.faults{margin:.2em 0;padding-left:1.1em}
.cell{border:1px solid #cfd8dc;border-radius:4px;padding:8px 12px;margin:12px 0}.cell.violated{border-left:6px solid #c62828}
.cell.not-claimed{border-left:6px solid #ef6c00}.words{font-size:1.02em;background:#fffde7;padding:6px 10px;border:1px dashed #f9a825}
pre{background:#263238;color:#eceff1;padding:6px 10px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.tasks td{font-size:.85em}.small{font-size:.85em;color:#546e7a}details>summary{cursor:pointer}
.decision{border:2px solid #90a4ae;border-radius:6px;padding:6px 12px;margin:8px 0 10px}
.decision-fail{border-color:#b71c1c;background:#fff8f8}.decision-pass{border-color:#2e7d32;background:#f6fbf6}
.gate-line{font-size:1.25em;margin:.2em 0}.gate{font-weight:bold;padding:1px 8px;border-radius:4px;color:#fff;background:#607d8b}
.gate-fail{background:#b71c1c}.gate-pass{background:#2e7d32}
table.gate-cells{margin:4px 0;font-size:.88em;width:100%}table.gate-cells td:nth-child(2){min-width:16em}table.gate-cells td{background:#fff}code.cmd{word-break:break-all;font-size:.92em}
.tasks-n{font-size:.92em;margin-top:2px}.tasks-n b{color:#b71c1c}
@media print{details{display:block}body{max-width:none}}
"""


def badge(verdict: str, text: str | None = None) -> str:
    return f'<span class="v v-{e(verdict)}">{SYMBOL.get(verdict, "·")} {e(text or verdict)}</span>'


def matrix_html(report: dict) -> str:
    m = verdict_matrix(report)
    head = "".join(f'<th>{e(c["profile"])}<br><span class="seed">{e(c["backend"])}</span></th>' for c in m["columns"])
    rows = []
    for row in m["rows"]:
        cells = []
        for col in m["columns"]:
            vs = row["cells"].get(col["profile"], [])
            seed = row["seed"].get(col["backend"])
            seed_text = "" if seed is None else f'<div class="seed">seed says: {"yes" if seed else "no"}</div>'
            if not vs:
                cells.append(f'<td class="c-none" data-claim="{e(row["claim"])}" data-profile="{e(col["profile"])}">'
                             f'{badge("none", "not run")}{seed_text}</td>')
                continue
            worst = min(vs, key=lambda v: WORST_FIRST.index(v["verdict"]) if v["verdict"] in WORST_FIRST else 0)["verdict"]
            tally = task_tally([v.get("result", {}) for v in vs])
            counts = tally["counts"]
            tasks = tasks_text(tally)
            tasks_line = (f'<div class="tasks-n" data-role="tasks">tasks: {_tasks_html(tally)}</div>' if tasks else "")
            bad = [v for v in vs if v["verdict"] != "holds"]
            good = [v for v in vs if v["verdict"] == "holds"]
            # n of N here counts fault variants; the tasks line below says how many tasks broke it
            headline = badge(worst, f"{worst} in {len(bad)} of {len(vs)} faults" if bad and len(vs) > 1 else
                         (worst if bad else f"holds ({len(vs)} of {len(vs)} faults)" if len(vs) > 1 else "holds"))
            headline += tasks_line
            items = "".join(f'<li><a href="#{e(cell_anchor(v["evidence"].get("directory")))}">{e(fault_label(v))}</a>: '
                            f'{SYMBOL.get(v["verdict"], "")} {e(v["short"])}</li>' for v in bad)
            held = ""
            if good and bad:
                held = (f'<details><summary>holds under {len(good)}</summary><ul class="faults">'
                        + "".join(f'<li><a href="#{e(cell_anchor(v["evidence"].get("directory")))}">{e(fault_label(v))}</a></li>'
                                  for v in good) + "</ul></details>")
            elif good and len(vs) > 1:
                held = f'<div class="small">under: {e(", ".join(fault_label(v) for v in good))}</div>'
            elif good:
                held = f'<div class="small">under: <a href="#{e(cell_anchor(good[0]["evidence"].get("directory")))}">{e(fault_label(good[0]))}</a></div>'
            cells.append(f'<td class="c-{e(worst)}" data-claim="{e(row["claim"])}" data-profile="{e(col["profile"])}" '
                         f'data-verdict="{e(worst)}" data-tasks="{tally["of"]}" data-lost="{counts.get("lost", 0)}" '
                         f'data-duplicated="{counts.get("duplicated", 0)}" data-retried="{counts.get("retried", 0)}">{headline}'
                         f'{f"<ul class=faults>{items}</ul>" if items else ""}{held}{seed_text}</td>')
        said = "" if row["row"] == row["claim"] else row["row"].removeprefix(f'{row["claim"]}: ')
        rows.append(f'<tr><td class="claim"><b>{e(row["claim"])}</b><br><span class="seed">{e(said)}</span></td>{"".join(cells)}</tr>')
    legend = " · ".join(badge(k) for k in WORST_FIRST)
    return (f'<table class="matrix" id="matrix"><thead><tr><th>claim (the seed\'s row)</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<p class="small">Each cell: the worst verdict of that claim and profile over the fault variants it was checked '
            f'under ("in n of N faults": n of those N variants gave it), then <b>tasks</b>: the outcomes of the tasks the claim '
            f'speaks about, summed over the variants (lost, duplicated, stuck... first; retried = ran again, then '
            f'succeeded); then each fault that broke it with its own "n/N" = tasks that broke it / tasks the claim speaks '
            f'about (links to the evidence), and what the seed claims for the backend. {legend} · {badge("none", "not run")}</p>')


def hanging_html(hanging: dict | None) -> str:
    """The submissions the client gave up on while the app was still inside the call, and the ones
    still there after the drain (targets' ``GET /inflight``)."""
    if not hanging:
        return ""
    parts = []
    if hanging.get("gave_up_on"):
        parts.append("still inside the app's call to the backend when the client gave up: " + ", ".join(
            f"{h.get('key')} ({h.get('for_s')} s)" for h in hanging["gave_up_on"]))
    if hanging.get("at_the_end"):
        parts.append("still hanging in the app after the drain: " + ", ".join(
            f"{h.get('key')} for {h.get('for_s')} s" for h in hanging["at_the_end"]))
    if hanging.get("unanswered"):
        parts.append(f"{hanging['unanswered']} reading(s) of the app's in-flight calls got no answer")
    return "".join(f'<p class="small" data-role="hanging">{e(p)}</p>' for p in parts)


def _tasks_html(tally: dict) -> str:
    """The tally of a matrix cell, what broke the claim in bold: "<b>3 lost</b>, 1 retried of 6"."""
    of = tally["of"]
    shown = [(k, n) for k, n in tally["counts"].items() if n and k != "ok"]
    if tally["outcomes"] and not shown:
        ok = tally["counts"].get("ok", 0)
        return e(f"{of} ok" if ok == of else f"{ok} ok of {of}")
    parts = [f"<b>{e(f'{n} {k}')}</b>" if k in BROKE else e(f"{n} {k}") for k, n in shown]
    return ", ".join(parts) + e(f" of {of}")


def _rel_time(mono: float | None, origin: float | None) -> str:
    return "—" if mono is None or origin is None else f"{mono - origin:+.3f} s"


def _submission(key: str, view: CellView, origin) -> str:
    ops = [op for op in view.ops if op.get("kind") == "submit" and op.get("key") == key]
    if not ops:
        task = next((t for t in view.tasks if t["key"] == key), {})
        return e(str(task.get("submission") or "never submitted"))
    parts = []
    for op in ops:
        d = op.get("data", {})
        if op["type"] == "invoke":
            parts.append(f"invoke {_rel_time(op['mono'], origin)}")
        else:
            extra = ", ".join(f"{k} {d[k]}" for k in ("http", "id", "error") if d.get(k) is not None)
            parts.append(f"<b>{e(op['type'])}</b> {_rel_time(op['mono'], origin)} ({e(extra)})")
    return "<br>".join(p if p.startswith("<b>") else e(p) for p in parts)


def _attempts(key: str, view: CellView, origin) -> str:
    task = next((t for t in view.tasks if t["key"] == key), {})
    lines = []
    for a in task.get("attempts", []):
        events = [r for r in view.ledger if r["key"] == key and r["attempt"] == a["number"]]
        shown = ", ".join(f"{r['event']} {_rel_time(r['mono'], origin)}" for r in events) or ", ".join(a["events"])
        lines.append(e(f"#{a['number']} pid {a['pid']}: {shown} — ") + f"<b>{e(a.get('end') or 'cut off')}</b>")
    return "<br>".join(lines) or "never ran"


def _statuses(key: str, view: CellView) -> str:
    seen: list[str] = []
    for op in view.ops:
        if op.get("kind") == "status" and op.get("key") == key:
            d = op.get("data", {})
            state = "no status API" if d.get("supported") is False else f"{d.get('state')} ({d.get('raw_state')})"
            if not seen or seen[-1] != state:
                seen.append(state)
    task = next((t for t in view.tasks if t["key"] == key), {})
    final = task.get("status") or {}
    final_text = ("no status API" if final.get("supported") is False else
                  f"final: {final.get('state')} ({final.get('raw_state')})" if final else "no final answer")
    if seen == ["no status API"]:
        return "<b>no status API</b>"
    return e(" → ".join(seen) or "no answers") + "<br><b>" + e(final_text) + "</b>"


def tasks_table(view: CellView, keys: list[str]) -> str:
    origin = view.origin_mono
    rows = []
    for key in keys:
        task = next((t for t in view.tasks if t["key"] == key), None)
        if task is None:
            continue
        extra = []
        if task.get("recovery_s") is not None:
            extra.append(f"recovered {task['recovery_s']} s after the fault")
        if task.get("note"):
            extra.append(task["note"])
        if task.get("requested_retries") or task.get("redeliveries"):
            extra.append(f"{task.get('requested_retries', 0)} asked retries, {task.get('redeliveries', 0)} redeliveries")
        rows.append(f'<tr data-key="{e(key)}"><td><b>{e(key)}</b></td><td>{badge_outcome(task["outcome"])}</td>'
                    f'<td>{_submission(key, view, origin)}</td><td>{_attempts(key, view, origin)}</td>'
                    f'<td>{_statuses(key, view)}</td><td>{e("; ".join(extra))}</td></tr>')
    return ('<table class="tasks"><thead><tr><th>task</th><th>outcome</th><th>submission (history)</th>'
            '<th>ledger attempts (times from the workload start)</th><th>status answers (distinct, in order)</th><th>notes</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def badge_outcome(outcome: str) -> str:
    kind = "holds" if outcome in ("ok", "retried") else "violated" if outcome in ("lost", "stuck", "duplicated", "phantom",
                                                                                 "status-mismatch") else "inconclusive"
    return f'<span class="v v-{kind}">{e(outcome)}</span>'


def _link(rel: str | None, label: str, run_dir: Path) -> str:
    if not rel:
        return f"{e(label)} (outside the run directory)"
    missing = "" if (run_dir / rel).exists() else " (missing)"
    return f'<a href="{e(rel)}">{e(label)}</a>{missing}'


def logs_html(view: CellView, report: dict, run_dir: Path) -> str:
    deployment = view.verdict.get("evidence", {}).get("deployment") or {}
    links = []
    for name, server in (deployment.get("servers") or {}).items():
        links.append(_link(relative_to_run(server.get("log"), report), f"{name}.log", run_dir))
    proxy = deployment.get("toxiproxy") or {}
    if proxy.get("log"):
        links.append(_link(relative_to_run(proxy["log"], report), "toxiproxy.log", run_dir))
    files = [_link(f"{view.rel}/{f}", f, run_dir) for f in ("scenario.json", "history.jsonl", "cell.json", "run.json", "ledger/")]
    return f'<p class="small">logs: {" · ".join(links) or "none recorded"} — evidence: {" · ".join(files)}</p>'


def cell_html(view: CellView, report: dict, run_dir: Path, open_: bool) -> str:
    v = view.verdict
    r = v["result"]
    words = scenario_in_words(view.scenario, view.cell, view.ops)
    violating = r.get("violating_keys", [])
    shown_keys = violating if open_ and violating else [t["key"] for t in view.tasks]
    missing = f'<p class="small">missing evidence: {e("; ".join(view.missing))}</p>' if view.missing else ""
    note = f'<p class="small">note: {e(r["note"])}</p>' if r.get("note") else ""
    q = v.get("evidence", {}).get("quiesce", {})
    drain = drain_in_words(q) if q else ""
    timeline = timeline_svg(view.cell, view.ops, view.ledger, view.anchor)
    hits = "".join(f'<p class="small" data-role="fault-hit">fault hit: {e(f.get("name"))}: {e(landing_words(f.get("hit")))}</p>'
                   for f in v.get("evidence", {}).get("faults", []))
    hits += hanging_html(v.get("evidence", {}).get("hanging_submissions"))
    body = (f'<p class="words" data-role="scenario-words">{e(words)}</p>{note}{hits}'
            f'<p class="small">outcomes of the {r.get("relevant")} tasks the claim speaks about: '
            f'{e(", ".join(f"{k} {n}" for k, n in r.get("counts", {}).items()))} · {e(drain)} · '
            f'cell ran in {view.cell.get("duration_s")} s'
            + (f' · expected (expectations.toml): {e(str(view.cell["expected"]))}' if view.cell.get("expected") else "") + '</p>'
            f'<p>replay:</p><pre>{e(v["evidence"].get("replay", ""))}</pre>'
            f'<h4>{"affected tasks" if open_ and violating else "tasks"}</h4>{tasks_table(view, shown_keys)}'
            + (f'<details><summary>all {len(view.tasks)} tasks</summary>{tasks_table(view, [t["key"] for t in view.tasks])}</details>'
               if open_ and violating and len(violating) < len(view.tasks) else "")
            + f'<h4>timeline</h4>{timeline}{logs_html(view, report, run_dir)}{missing}')
    title = f'{badge(v["verdict"], v["short"])} <code>{e(v["cell"])}</code>'
    if open_:
        return f'<section class="cell {e(v["verdict"])}" id="{e(view.anchor)}"><h3>{title}</h3>{body}</section>'
    return (f'<details class="cell {e(v["verdict"])}" id="{e(view.anchor)}"><summary>{title}</summary>{body}</details>')


def environment_html(report: dict, views: list[CellView]) -> str:
    versions = "".join(f"<tr><th>{e(k)}</th><td>{e(str(val))}</td></tr>" for k, val in (report.get("versions") or {}).items())
    profiles: dict[str, dict] = {}
    modes: dict[str, set] = {}
    drivers, flavours = set(), set()
    for view in views:
        dep = view.verdict.get("evidence", {}).get("deployment") or {}
        name = view.verdict["profile"]
        if dep.get("profile"):
            profiles.setdefault(name, dep["profile"])
        modes.setdefault(name, set()).add(view.verdict["persistence"])
        if dep.get("driver"):
            drivers.add(dep["driver"])
        if (dep.get("toxiproxy") or {}).get("flavour"):
            flavours.add(dep["toxiproxy"]["flavour"])
    for name, p in (report.get("profiles") or {}).items():
        profiles.setdefault(name, p)
    # A team's own system (chaos/system.py) adds its settings as read from its app, and what was replaced:
    # copies of the profiles carry them as groups of their own (the report stays as read).
    profiles = {name: {**p, "as_read": (p.get("system") or {}).get("as_read") or {},
                       "replaced": (p.get("system") or {}).get("replaced") or {}} for name, p in profiles.items()}
    labels = {"settings": "{}", "redis_client": "client: {}", "as_read": "read from the app: {}",
              "replaced": "replaced by taskchaos: {}"}
    names = list(profiles)
    keys: list[tuple[str, str]] = []
    for p in profiles.values():
        for group in labels:
            for k in p.get(group) or {}:
                if (group, k) not in keys:
                    keys.append((group, k))
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    backends = "".join(f"<td>{e(str(profiles[n].get('backend', '')))}</td>" for n in names)
    persisted = "".join(f"<td>{e(', '.join(sorted(modes.get(n, []))) or 'not run')}</td>" for n in names)
    rows = [f"<tr><th>backend</th>{backends}</tr>", f"<tr><th>Redis persistence in this run</th>{persisted}</tr>"]
    for group, k in keys:
        label = labels[group].format(k)
        rows.append(f"<tr><th>{e(label)}</th>" + "".join(
            f"<td>{e(str((profiles[n].get(group) or {}).get(k, '—')))}</td>" for n in names) + "</tr>")
    seed = report.get("seed")
    run_facts = [("run", report.get("run_id")), ("started / finished (UTC)", f"{report.get('started')} / {report.get('finished')}"),
                 ("budget", report.get("budget")), ("infra driver", f"{report.get('infra')} (servers ran on: {', '.join(sorted(drivers)) or '—'})"),
                 ("Toxiproxy", ", ".join(sorted(flavours)) or "none (no Redis in these cells)"),
                 ("random seed", seed if seed is not None else "none: the gated cells play fixed workloads "
                  "(chaos/scenario/workloads.py); `taskchaos explore` prints its own Hypothesis seed"),
                 ("git revision", report.get("git_revision")), ("command", shlex.join(map(str, report.get("command") or []))),
                 ("working directory", report.get("cwd")), ('"lost" means', report.get("lost_means"))]
    facts = "".join(f"<tr><th>{e(k)}</th><td><code>{e(str(val))}</code></td></tr>" for k, val in run_facts)
    return (f'<h3>run</h3><table>{facts}</table><h3>versions</h3><table>{versions}</table>'
            f'<h3>profile settings</h3><table class="profiles"><thead><tr><th>setting</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def throughput_html(report: dict) -> str:
    series = throughput_series(report)
    if not series:
        return '<p data-role="throughput-not-run">not run: this run has no measurements of the <code>throughput</code> claim.</p>'
    rows = "".join(f"<tr><th>{e(name)}</th><td>" + e(", ".join(f"{w:g} workers: {v:.3g} tasks/s" for w, v in sorted(points.items())))
                   + "</td></tr>" for name, points in series.items())
    return f'{throughput_svg(series)}<table class="small">{rows}</table>'


def page_decision(report: dict, *, expectations=None, gate_result: GateResult | None = None) -> Decision:
    """The gate's decision the page opens with: ``gate_result`` when the caller has just judged the
    run, else the report judged again (:func:`chaos.report.decision.judge_report`)."""
    return decision(gate_result) if gate_result is not None else judge_report(report, expectations)


def render_html(report: dict, run_dir: Path, *, expectations=None, gate_result: GateResult | None = None) -> str:
    """The page. ``expectations`` (an Expectations or a path) / ``gate_result``: what the gate's
    decision at the top is judged against (default: the file the run was gated with)."""
    run_dir = Path(run_dir)
    views = [load_cell(cell, report, run_dir) for cell in report.get("cells", [])]
    anchors = {v.verdict.get("cell", ""): v.anchor for v in views}
    decided = decision_html(page_decision(report, expectations=expectations, gate_result=gate_result), anchors,
                            badge=badge)
    bad = sorted((v for v in views if v.verdict["verdict"] in COUNTEREXAMPLES),
                 key=lambda v: COUNTEREXAMPLES.index(v.verdict["verdict"]))
    rest = [v for v in views if v.verdict["verdict"] not in COUNTEREXAMPLES]
    counter = "".join(cell_html(v, report, run_dir, True) for v in bad) or "<p>No cell was violated.</p>"
    others = "".join(cell_html(v, report, run_dir, False) for v in rest) or "<p>None.</p>"
    errors = "".join(f"<li><code>{e(str(err.get('cell')))}</code>: {e(str(err.get('error')))}</li>" for err in report.get("errors", []))
    title = f"taskchaos report — {report.get('run_id', '')}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
            f'<h1>{e(title)}</h1><p class="meta">{e(str(report.get("started")))} → {e(str(report.get("finished")))} UTC · '
            f'budget {e(str(report.get("budget")))} · infra {e(str(report.get("infra")))} · revision '
            f'{e(str(report.get("git_revision", ""))[:12])} · {len(views)} cells · '
            '<a href="#counterexamples">counterexamples</a> · <a href="#throughput">throughput</a> · '
            '<a href="#other-cells">other cells</a> · <a href="#environment">environment and logs</a></p>'
            f'{decided}<p class="summary" data-role="summary">{e(summary_paragraph(report))}</p>'
            f'<h2 id="verdicts">Verdicts: the seed\'s claims × profiles</h2>{matrix_html(report)}'
            f'<h2 id="counterexamples">Counterexamples ({len(bad)})</h2>{counter}'
            + (f'<h2 id="errors">Errors ({len(report["errors"])})</h2><ul>{errors}</ul>' if errors else "")
            + f'<h2 id="throughput">Throughput (the seed\'s section 7.2)</h2>{throughput_html(report)}'
            f'<h2 id="other-cells">Other cells ({len(rest)})</h2><p class="small">Click a cell for its scenario, tasks, timeline and logs.</p>{others}'
            f'<h2 id="environment">Environment</h2>{environment_html(report, views)}'
            f'<p class="small">Rendered from report.json by <code>taskchaos report</code>; self-contained (no script, no network).</p>'
            '</body></html>')


def write_html(report: dict, run_dir: Path, *, expectations=None, gate_result: GateResult | None = None) -> Path:
    path = Path(run_dir) / "report.html"
    path.write_text(render_html(report, run_dir, expectations=expectations, gate_result=gate_result))
    return path
