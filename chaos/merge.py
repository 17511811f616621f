"""Merge: the runs of a suite's N shards (``--chaos-shard K/N``, chaos/shard.py) joined into one run
that the gate judges as if one machine had run it all.

``taskchaos merge RUN... [--out DIR]`` reads every shard's report.json and writes a new run
directory (``<reports>/<run>-merged`` by default): report.json with every shard's verdicts, cells,
errors and durations, the cells' directories copied beside it (their paths rewritten to the merged
run, so the page's links work), each shard's own report under ``shards/``; then it gates the merged
run (``chaos.gating.gate_report``: junit.xml, summary.md) and renders report.html, like the end of a run.

What it refuses (exit 2, naming what): a run that is not a shard; shards of different selections
or of different N; the same shard twice, or a cell or test in two shards (it would have run twice);
shards that ran different code or different versions of the backends and servers, another budget
or infra. What it reports instead: a missing shard — merged as an error that names it, so the gate
fails (a missing shard is not a subset run). The merged run is a full run ("selection" not a
subset) only when all N shards of a selection that was the whole suite are present.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from chaos.gating import GateInputError

AGREE = ("git_revision", "budget", "infra", "versions", "profiles")  # what every shard must share


class MergeError(GateInputError):
    """Shard runs that cannot be merged into one run (exit 2 of ``taskchaos merge``)."""


def _label(shard: dict) -> str:
    return f"{shard['index']}/{shard['count']}"


def _load_shards(run_dirs: list[str | Path]) -> list[tuple[Path, dict, dict]]:
    from chaos.gating import load_report

    if not run_dirs:
        raise MergeError("taskchaos merge: name the shards' run directories")
    loaded = []
    for run in run_dirs:
        directory, report = load_report(run)
        shard = (report.get("selection") or {}).get("shard")
        if not shard:
            raise MergeError(f"{directory}: not a shard's run (its report.json records no --chaos-shard K/N); "
                             f"merge joins the runs of `pytest tests/chaos --chaos-shard K/N` or `taskchaos run --shard K/N`")
        loaded.append((directory, report, shard))
    return sorted(loaded, key=lambda x: x[2]["index"])


def _check(loaded: list[tuple[Path, dict, dict]]) -> None:
    """Refuse shards that are not slices of one run of one checkout."""
    first_dir, first, first_shard = loaded[0]
    seen: dict[int, Path] = {}
    for directory, report, shard in loaded:
        if shard["count"] != first_shard["count"] or shard["cells"] != first_shard["cells"]:
            what = "N" if shard["count"] != first_shard["count"] else "selected tests"
            raise MergeError(f"shards of different selections ({what} differ): {first_dir} is shard {_label(first_shard)} "
                             f"of {len(first_shard['cells'])} tests, {directory} shard {_label(shard)} of "
                             f"{len(shard['cells'])}; run every shard with the same command and checkout")
        if shard["index"] in seen:
            raise MergeError(f"shard {_label(shard)} given twice: {seen[shard['index']]} and {directory} "
                             f"(its cells would count twice)")
        seen[shard["index"]] = directory
        for key in AGREE:
            if report.get(key) == first.get(key):
                continue
            ours, theirs = first.get(key), report.get(key)
            if isinstance(ours, dict) and isinstance(theirs, dict):
                diff = [f"{k} {ours.get(k)} vs {theirs.get(k)}" for k in sorted({*ours, *theirs}, key=str)
                        if ours.get(k) != theirs.get(k)]
                detail = "; ".join(diff[:5]) + (f"; and {len(diff) - 5} more" if len(diff) > 5 else "")
            else:
                detail = f"{ours} vs {theirs}"
            raise MergeError(f"{key} differ between shard {_label(first_shard)} ({first_dir}) and shard "
                             f"{_label(shard)} ({directory}): {detail}; shards must run the same code on the same versions")
    owner: dict[str, tuple[str, Path]] = {}
    for directory, report, shard in loaded:
        names = [f"test {t}" for t in shard["assigned"]]
        names += [f"cell {c['verdict']['cell']}" for c in report.get("cells") or []]
        names += [f"cell directory {_cell_dir(c, report, directory)}" for c in report.get("cells") or [] if c.get("directory")]
        for name in dict.fromkeys(names):
            if name in owner:
                other, other_dir = owner[name]
                raise MergeError(f"{name} ran twice: in shard {other} ({other_dir}) and in shard {_label(shard)} "
                                 f"({directory})")
            owner[name] = (_label(shard), directory)


def _cell_dir(cell: dict, report: dict, directory: Path) -> str:
    """A cell's directory under its run, ``cells/<slug>`` (its decisive example lies below it)."""
    path = Path(cell["directory"])
    for root in (report.get("run_dir"), str(directory)):
        if root and path.is_relative_to(root):
            return "/".join(path.relative_to(root).parts[:2])
    return path.name


def _moved(value, old: list[str], new: str):
    """``value`` (JSON) with every path under a shard's run directory moved under the merged one."""
    if isinstance(value, str):
        for prefix in old:
            value = value if value != prefix else new
            value = value.replace(prefix + os.sep, new + os.sep)
        return value
    if isinstance(value, list):
        return [_moved(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _moved(v, old, new) for k, v in value.items()}
    return value


def _cell_order():
    """The order a run lists its cells in (chaos/plugin.py): claim, fault, persistence, infra, profile."""
    from chaos.judgement.claims import CLAIMS
    from chaos.nemesis import fault_labels
    from chaos.profile import PERSISTENCE_MODES, load_profiles

    orders = [list(CLAIMS), ["none", *fault_labels()], list(PERSISTENCE_MODES), list(load_profiles())]

    def index(order: list, value) -> int:
        return order.index(value) if value in order else len(order)

    def key(cell: dict):
        v = cell["verdict"]
        return (index(orders[0], v["claim"]), index(orders[1], v["fault"]), index(orders[2], v.get("persistence")),
                v.get("infra", "process") != "process", index(orders[3], v["profile"]), v["cell"])

    return key


def default_out(loaded_first: dict, reports: str | Path) -> Path:
    base = re.sub(r"-shard\d+of\d+$", "", loaded_first["run_id"])
    return Path(reports) / f"{base}-merged"


def merge_runs(run_dirs: list[str | Path], out: str | Path | None = None, *, reports: str | Path = "reports",
               argv: list[str] | None = None) -> tuple[Path, dict]:
    """Join shard runs into the run directory ``out``; returns it and its report (report.json written)."""
    from chaos.report.json_report import write_report
    from chaos.report.matrix import build_matrix

    loaded = _load_shards(run_dirs)
    _check(loaded)
    _, first, first_shard = loaded[0]
    out = Path(out or default_out(first, reports)).resolve()
    if out.exists() and any(out.iterdir()):
        raise MergeError(f"{out} exists and is not empty: merge into a new directory (--out)")
    if out in [d for d, _, _ in loaded]:
        raise MergeError(f"{out}: the merged run must be a new directory, not one of the shards'")
    out.mkdir(parents=True, exist_ok=True)
    cells, errors, durations, shards = [], [], {}, []
    for directory, report, shard in loaded:
        old = list(dict.fromkeys([str(report.get("run_dir") or directory), str(directory)]))
        for sub in ("cells", "errors", "skipped"):
            if (directory / sub).is_dir():
                shutil.copytree(directory / sub, out / sub, dirs_exist_ok=True, symlinks=True)
        moved = _moved(report.get("cells") or [], old, str(out))
        for cell in moved:  # the copied cell.json says where the cell lives now, like report.json
            path = Path(cell["directory"]).parent / "cell.json"
            if cell.get("directory") and path.is_file() and path.is_relative_to(out):
                path.write_text(json.dumps(cell, indent=2, default=str))
        cells += moved
        errors += _moved(report.get("errors") or [], old, str(out))
        durations.update(report.get("durations") or {})
        (out / "shards").mkdir(exist_ok=True)
        (out / "shards" / f"shard-{shard['index']}-of-{shard['count']}.json").write_text(
            json.dumps(report, indent=2, default=str) + "\n")
        shards.append({"shard": _label(shard), "run_id": report.get("run_id"), "run_dir": str(directory),
                       "started": report.get("started"), "finished": report.get("finished"), "seed": report.get("seed"),
                       "tests": len(shard["assigned"]), "cells": len(report.get("cells") or [])})
    count, present = first_shard["count"], {s["index"] for _, _, s in loaded}
    missing = [k for k in range(1, count + 1) if k not in present]
    before = first_shard.get("of") or {"subset": True, "why": ["not recorded"]}
    if missing:
        ran = {t for _, _, s in loaded for t in s["assigned"]}
        unrun = [t for t in first_shard["cells"] if t not in ran]
        for k in missing:  # the gate fails on an error: a missing shard is not a subset run
            errors.append({"cell": f"shard {k} of {count}",
                           "error": f"shard {k}/{count} is missing from the merge (merged: "
                                    f"{', '.join(_label(s) for _, _, s in loaded)}); run it (--chaos-shard {k}/{count}) "
                                    f"and merge all {count}. Tests of the missing shards ({len(unrun)}): "
                                    + ", ".join(unrun[:5]) + (", ..." if len(unrun) > 5 else "")})
    selection = {"subset": bool(missing) or bool(before.get("subset")),
                 "why": [*(f"shard {k}/{count} missing" for k in missing), *before.get("why", [])],
                 "merged": {"count": count, "present": sorted(present), "missing": missing,
                            "cells": first_shard["cells"]}}
    cells.sort(key=_cell_order())
    verdicts = [c["verdict"] for c in cells]
    profiles = first.get("profiles") or {}
    seeds = {s["seed"] for s in shards}
    report = {
        "run_id": out.name,
        "run_dir": str(out),
        "started": min(r.get("started") or "" for _, r, _ in loaded),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": argv if argv is not None else ["taskchaos", *sys.argv[1:]],
        "cwd": os.getcwd(),
        "git_revision": first.get("git_revision"),
        "budget": first.get("budget"),
        "seed": seeds.pop() if len(seeds) == 1 else None,  # each shard's is in "shards"
        "infra": first.get("infra"),
        "versions": first.get("versions"),
        "profiles": profiles,
        "selection": selection,
        "matrix": build_matrix(verdicts, list(profiles)),
        "verdicts": verdicts,
        "cells": cells,
        "errors": errors,
        "durations": dict(sorted(durations.items())),
        "shards": shards,
        "lost_means": first.get("lost_means"),
    }
    write_report(report, out, latest=out.parent == Path(reports).resolve())
    return out, report


def cmd_merge(args) -> int:
    """``taskchaos merge RUN... [--out DIR] [--expectations F]``: merge, gate the merged run as a
    whole (0 pass, 1 fail, 2 shards that cannot be merged) and render its page."""
    from chaos.gating import gate_report, load_expectations
    from chaos.report.html_page import write_html
    from chaos.report.matrix import matrix_text

    expectations = load_expectations(args.expectations)
    out, report = merge_runs(args.run_dirs, args.out, reports=args.reports)
    gated = gate_report(out, report, expectations)
    page = write_html(report, out, gate_result=gated.result)
    merged = report["selection"]["merged"]
    print(f"merged shards {', '.join(str(k) for k in merged['present'])} of {merged['count']} "
          f"({len(report['cells'])} cells) into {out}")
    print(matrix_text(gated.matrix))
    print()
    print("\n".join(gated.result.lines()))
    print(f"report: {out / 'report.json'}\njunit: {gated.junit}\nsummary: {gated.summary}\nreport page: {page}")
    return 0 if gated.result.passed else 1
