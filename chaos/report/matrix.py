"""The verdict matrix: the seed's section 3.1 table as the run observed it.

Rows are the seed's rows (``chaos/judgement/seed_table.toml`` order), columns are profiles. A cell
aggregates every verdict of that claim × profile over faults, persistence modes and infra drivers,
worst first ("violated 3 of 16 faults (holds 13)"), sums the tasks' outcomes over those variants
(``tasks``: "3 lost, 1 retried of 12 tasks" — so a profile losing 3 of 6 tasks does not read like
one losing 1 of 6 under the same fault), and keeps the evidence of each: verdict, task counts, the
cell's directory, its scenario file (the counterexample when the claim broke) and the command that
replays it. A row whose claim had no cell in the run, or a profile it was not run
against, reads "not run".
"""

from __future__ import annotations

import os

from chaos.judgement.verdict import seed_table

# Worst first: what a cell's summary leads with.
SEVERITY = ("violated", "inconclusive", "not-claimed", "unsupported", "measured", "holds")
NOT_RUN = "not run"


# The order a cell's task counts are shown in: what was lost or ran twice first, the good retries last.
TASK_ORDER = ("lost", "duplicated", "phantom", "stuck", "failed", "status-mismatch", "indeterminate", "rejected", "retried")
OUTCOME_WORDS = frozenset(TASK_ORDER) | {"ok"}


def task_tally(results: list[dict]) -> dict:
    """The outcomes of the tasks a cell's claim spoke about, summed over its variants (each verdict's
    ``result.counts``): ``{"of": relevant tasks, "counts": {outcome: n}, "outcomes": whether the
    counts are per-task outcomes (ok / lost / ...) or a claim's own figures (inversions, ...)}``."""
    counts: dict[str, int] = {}
    of = 0
    for r in results:
        of += int(r.get("relevant") or 0)
        for k, n in (r.get("counts") or {}).items():
            if isinstance(n, (int, float)) and not isinstance(n, bool):
                counts[k] = counts.get(k, 0) + int(n)
    outcomes = set(counts) <= OUTCOME_WORDS
    order = {k: i for i, k in enumerate(TASK_ORDER)}
    ordered = dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], -1 if not outcomes else len(order)), kv[0])))
    return {"of": of, "counts": ordered, "outcomes": outcomes}


def tasks_text(tally: dict) -> str:
    """A tally in a few words: "3 lost, 1 retried of 6 tasks", "6 tasks ok", "2 inversions of 15";
    "" when the claim spoke about nothing."""
    counts, of = tally["counts"], tally["of"]
    if not of and not any(counts.values()):
        return ""
    shown = [(k, n) for k, n in counts.items() if n and k != "ok"]
    if tally["outcomes"]:
        if not shown:
            ok = counts.get("ok", 0)
            return f"{of} task{'s' if of != 1 else ''} ok" if ok == of else f"{ok} ok of {of} tasks"
        return ", ".join(f"{n} {k}" for k, n in shown) + f" of {of} task{'s' if of != 1 else ''}"
    return ", ".join(f"{n} {k}" for k, n in shown) + f" of {of}" if shown else f"0 of {of}"


def tasks_brief(tally: dict) -> str:
    """The terminal's form of a tally: "3 lost/6", "1 duplicated 2 retried/10", "5 ok"; "" for nothing."""
    counts, of = tally["counts"], tally["of"]
    if not of and not any(counts.values()):
        return ""
    shown = " ".join(f"{n} {k}" for k, n in counts.items() if n and k != "ok")
    if shown:
        return f"{shown}/{of}"
    ok = counts.get("ok", 0)
    return (f"{of} ok" if ok == of else f"{ok} ok/{of}") if tally["outcomes"] else f"0/{of}"


def _rank(verdict: str) -> int:
    return SEVERITY.index(verdict) if verdict in SEVERITY else -1  # an unknown word is shown first


def _entry(v: dict) -> dict:
    r, ev = v.get("result", {}), v.get("evidence", {})
    label = f"{v['fault']}@{v['persistence']}" + ("" if v.get("infra", "process") == "process" else f" [{v['infra']}]")
    return {"cell": v.get("cell", f"{v['claim']}/{label}"), "label": label, "fault": v["fault"],
            "persistence": v["persistence"], "infra": v.get("infra", "process"), "verdict": v["verdict"],
            "short": v.get("short", v["verdict"]), "violations": r.get("violations"), "relevant": r.get("relevant"),
            "counts": r.get("counts", {}), "violating_keys": r.get("violating_keys", []), "note": r.get("note", ""),
            "measurements": r.get("measurements", {}), "directory": ev.get("directory"),
            "scenario": ev.get("scenario"), "replay": ev.get("replay")}


def _aggregate(profile: str, entries: list[dict]) -> dict:
    if not entries:
        return {"profile": profile, "total": 0, "counts": {}, "worst": None, "summary": NOT_RUN, "short": NOT_RUN,
                "tasks": task_tally([]), "tasks_text": "", "faults": []}
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["verdict"]] = counts.get(e["verdict"], 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: _rank(kv[0]))
    tally = task_tally([{"relevant": e["relevant"], "counts": e["counts"]} for e in entries])
    total = len(entries)
    (worst, n), rest = ordered[0], ordered[1:]
    noun = "fault" if total == 1 else "faults"
    others = ", ".join(f"{verdict} {m}" for verdict, m in rest)
    summary = f"{worst} {n} of {total} {noun}" + (f" ({others})" if others else "")
    short = f"{worst} {n}/{total}" + (f" ({others})" if others else "")
    return {"profile": profile, "total": total, "counts": dict(ordered), "worst": worst, "summary": summary,
            "short": short, "tasks": tally, "tasks_text": tasks_text(tally),
            "faults": sorted(entries, key=lambda e: _rank(e["verdict"]))}


def build_matrix(verdicts: list[dict], profiles: list[str]) -> dict:
    """The matrix as data (report.json's ``matrix``). ``profiles``: the columns, in order; a profile
    seen in ``verdicts`` but not listed (a test-only profile) is added at the end."""
    table = seed_table()
    columns = list(profiles) + [p for p in dict.fromkeys(v["profile"] for v in verdicts) if p not in profiles]
    claims = list(table) + [c for c in dict.fromkeys(v["claim"] for v in verdicts) if c not in table]
    by_cell: dict[tuple[str, str], list[dict]] = {}
    for v in verdicts:
        by_cell.setdefault((v["claim"], v["profile"]), []).append(_entry(v))
    rows = []
    for claim in claims:
        seed = table.get(claim, {})
        rows.append({"claim": claim, "row": seed.get("row", claim), "seed": seed.get("seed"),
                     "seed_says": {k: v for k, v in seed.items() if isinstance(v, bool)},
                     "ran": any(c == claim for c, _ in by_cell),
                     "cells": {p: _aggregate(p, by_cell.get((claim, p), [])) for p in columns}})
    return {"columns": columns, "rows": rows,
            "counts_mean": "n of N faults: of the N fault variants (fault × broker durability mode × infra driver) "
                           "this claim × profile was run under, n gave the verdict named first; the rest follow",
            "tasks_mean": "tasks: the outcomes of the tasks the claim speaks about, summed over those variants "
                          "(lost, duplicated, ... first; retried = ran again, and then succeeded)"}


def _grid(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    fmt = lambda line: " | ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()  # noqa: E731
    return [fmt(header), "-+-".join("-" * w for w in widths), *(fmt(line) for line in body)]


def _cell_text(cell: dict) -> str:
    brief = tasks_brief(cell["tasks"]) if cell.get("tasks") else ""
    return cell["short"] + (f" [{brief}]" if brief else "")


def matrix_text(matrix: dict) -> str:
    """The terminal form: one line per seed row, ``verdict n/N (others) [tasks]`` per profile."""
    header = ["claim (seed row)", *matrix["columns"]]
    body = [[row["claim"], *(_cell_text(row["cells"][p]) for p in matrix["columns"])] for row in matrix["rows"]]
    return "\n".join([*_grid(header, body), "n/N: " + matrix["counts_mean"].split(": ", 1)[1],
                      "[tasks]: " + matrix.get("tasks_mean", "tasks: ").split(": ", 1)[1] + ", e.g. [3 lost/6]"])


def _rel(path: str | None, base: str | None) -> str:
    if not path:
        return "—"
    if base:
        try:
            rel = os.path.relpath(path, base)
            if not rel.startswith(".."):
                return rel
        except ValueError:
            pass
    return path


def _counts(e: dict) -> str:
    counts = ", ".join(f"{k} {n}" for k, n in sorted(e["counts"].items()))
    return f"{e['short']}" + (f" (tasks: {counts})" if counts else "")


def matrix_markdown(matrix: dict, *, base: str | None = None) -> str:
    """Markdown: the table, then per row the evidence of every fault that did not hold (scenario file
    relative to ``base``, the run directory, and the replay command)."""
    cols = matrix["columns"]
    out = ["| claim | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for row in matrix["rows"]:
        out.append(f"| {row['row']} | " + " | ".join(
            row["cells"][p]["summary"] + (f" — {row['cells'][p]['tasks_text']}" if row["cells"][p].get("tasks_text") else "")
            for p in cols) + " |")
    out += ["", f"_{matrix['counts_mean']}; {matrix.get('tasks_mean', '')}._", ""]
    for row in matrix["rows"]:
        shown = [(p, e) for p in cols for e in row["cells"][p]["faults"] if e["verdict"] != "holds"]
        if not shown:
            continue
        out += [f"<details><summary>{row['claim']}: evidence of {len(shown)} cells that did not hold</summary>", ""]
        for p, e in shown:
            out.append(f"- **{p}** `{e['label']}`: {_counts(e)}" + (f" — {e['note']}" if e["note"] else ""))
            out.append(f"  scenario `{_rel(e['scenario'], base)}`, evidence `{_rel(e['directory'], base)}`; "
                       f"replay: `{e['replay']}`")
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
