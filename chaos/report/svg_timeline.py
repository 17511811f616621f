"""A cell's timeline as inline SVG: one lane per process (the deployment's servers, one lane per
incarnation pid, and each process the ledger shows running a task body: prefork children, RQ work
horses, the app for BackgroundTasks), task attempts as bars coloured by how they ended (with the
ending written beside each bar, so it reads in black and white), fault windows shaded and labelled,
kills and restarts marked, the client's submissions, and the drain.

Times are seconds from the cell's first history op (the workload's start), read from the history
(``ops``), the ledger's raw records and report.json's cell. :func:`build_timeline` turns them into
lanes, bars and marks; :func:`render_timeline` draws those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

ENDS = {  # how an attempt ended → (colour, word)
    "succeeded": ("#2e7d32", "succeeded"),
    "failed": ("#ef6c00", "failed (asked)"),
    "crashing": ("#6a1b9a", "crashed (asked)"),
    None: ("#c62828", "cut off"),
}
SUBMIT = {"ok": ("#1565c0", "accepted"), "fail": ("#c62828", "refused"), "info": ("#ef6c00", "no answer")}


@dataclass
class Lane:
    id: str
    label: str
    start: float | None = None  # the process's life on this chart (None: before / after it)
    end: float | None = None
    ended_by: str = ""  # kill | restart | ""


@dataclass
class Bar:
    lane: str
    t0: float
    t1: float
    key: str
    number: int
    end: str | None
    outcome: str
    tail: float | None = None  # a cut-off attempt: until its process died
    pid: int | None = None


@dataclass
class Mark:
    lane: str
    t: float
    symbol: str
    label: str
    kind: str
    colour: str = "#212121"


@dataclass
class Band:
    t0: float
    t1: float
    label: str


@dataclass
class Rule:
    t: float
    label: str


@dataclass
class Timeline:
    lanes: list[Lane] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    t_end: float = 1.0


def _restarts(ops: list[dict], origin: float) -> dict[str, list[tuple[float, int | None, str]]]:
    """Per server name: (time, new pid or None, what) for every start after the first."""
    found: dict[str, list[tuple[float, int | None, str]]] = {}
    for op in ops:
        data = op.get("data", {})
        if op.get("kind") == "fault" and op.get("type") == "end":
            healed = data.get("healed") or {}
            if healed.get("action") == "start" and healed.get("server"):
                found.setdefault(healed["server"], []).append((op["mono"] - origin, healed.get("pid"), f"started after {data.get('name')}"))
        elif op.get("kind") == "infra":
            m = re.match(r"(started|restarted) (\S+)(.*)", str(data.get("action", "")))
            if m:
                code = re.search(r"\(exit code [^)]*\)", m.group(3))
                why = (f"restarted: it had exited {code.group(0) if code else ''}".strip() if m.group(1) == "restarted"
                       else "started by the drain's heal")
                found.setdefault(m.group(2).rstrip(","), []).append((op["mono"] - origin, None, why))
    return found


def _kills(ops: list[dict], origin: float) -> list[tuple[float, dict]]:
    return [(op["mono"] - origin, op["data"]["struck"]) for op in ops
            if op.get("kind") == "fault" and op.get("type") == "note" and (op.get("data", {}).get("struck") or {}).get("signal")]


def _executor(servers: dict, backend: str) -> str | None:
    """The one server that runs task bodies: the worker, or the app when there is no worker."""
    roles = [s.get("role") for s in servers.values()]
    role = "worker" if "worker" in roles else "app"
    names = [name for name, s in servers.items() if s.get("role") == role]
    return names[0] if len(names) == 1 else None


def build_timeline(cell: dict, ops: list[dict], ledger: list[dict]) -> Timeline:
    verdict = cell["verdict"]
    tasks = cell["check"]["tasks"]
    attempts = [(t, a) for t in tasks for a in t["attempts"]]
    origin = ops[0]["mono"] if ops else min((a["start_mono"] for _, a in attempts), default=0.0)
    rel = lambda mono: mono - origin  # noqa: E731
    deployment = verdict.get("evidence", {}).get("deployment") or {}
    servers = deployment.get("servers") or {}
    tl = Timeline()
    tl.lanes.append(Lane("client", "client (submissions)"))

    kills = _kills(ops, origin)
    killed_at = {k["pid"]: t for t, k in kills if k.get("pid") is not None}
    restarts = _restarts(ops, origin)
    server_pids: dict[int, str] = {}
    incarnations: dict[str, list[Lane]] = {}
    for name, server in servers.items():
        pids = server.get("pids") or ([server["pid"]] if server.get("pid") is not None else [])
        events = sorted(restarts.get(name, []), key=lambda e: e[0])
        by_pid = {pid: e for e in events for pid in [e[1]] if pid is not None}
        unmatched = [e for e in events if e[1] is None or e[1] not in pids]
        lanes = []
        for i, pid in enumerate(pids):
            server_pids[pid] = name
            start_event = None if i == 0 else (by_pid.get(pid) or (unmatched.pop(0) if unmatched else None))
            lane = Lane(f"pid:{pid}", f"{name} pid {pid}", start=0.0 if i == 0 else (start_event[0] if start_event else None))
            if start_event:
                tl.marks.append(Mark(lane.id, start_event[0], "↻", start_event[2], "restart", "#1565c0"))
            lanes.append(lane)
        for i, lane in enumerate(lanes):
            pid = int(lane.id[4:])
            if pid in killed_at:
                lane.end, lane.ended_by = killed_at[pid], "kill"
            elif i + 1 < len(lanes) and lanes[i + 1].start is not None:
                lane.end, lane.ended_by = lanes[i + 1].start, "restart"
        incarnations[name] = lanes

    # processes the ledger shows running task bodies that are not a server's own pid
    first_seen: dict[int, float] = {}
    last_seen: dict[int, float] = {}
    for r in ledger or [{"pid": a["pid"], "mono": m} for _, a in attempts for m in (a["start_mono"], a["last_mono"])]:
        first_seen[r["pid"]] = min(first_seen.get(r["pid"], r["mono"]), r["mono"])
        last_seen[r["pid"]] = max(last_seen.get(r["pid"], r["mono"]), r["mono"])
    owner = _executor(servers, verdict.get("backend", ""))
    children: dict[str, list[Lane]] = {}
    for pid in sorted(first_seen, key=lambda p: first_seen[p]):
        if pid in server_pids:
            continue
        t_first = rel(first_seen[pid])
        lane = Lane(f"pid:{pid}", f"{owner} child pid {pid}" if owner else f"task process pid {pid}", start=t_first)
        if pid in killed_at:
            lane.end, lane.ended_by = killed_at[pid], "kill"
        elif owner:
            parent = next((p for p in incarnations.get(owner, []) if (p.start or 0.0) <= t_first and (p.end is None or t_first < p.end)), None)
            if parent is not None and parent.ended_by == "kill":
                lane.end, lane.ended_by = parent.end, "kill"
        if lane.end is None:
            lane.end = rel(last_seen[pid])
        children.setdefault(owner or "", []).append(lane)
    for name, lanes in incarnations.items():
        tl.lanes += lanes + children.pop(name, [])
    for lanes in children.values():
        tl.lanes += lanes

    lane_ids = {lane.id for lane in tl.lanes}
    for t, struck in kills:
        lane = f"pid:{struck.get('pid')}"
        if lane in lane_ids:
            tl.marks.append(Mark(lane, t, "✕", f"{struck['signal']}", "kill", "#b71c1c"))
    death = {lane.id: lane.end for lane in tl.lanes if lane.ended_by == "kill"}
    for task, a in attempts:
        lane = f"pid:{a['pid']}"
        bar = Bar(lane, rel(a["start_mono"]), rel(a["last_mono"]), task["key"], a["number"], a.get("end"), task["outcome"], pid=a["pid"])
        if bar.end is None and death.get(lane) is not None and death[lane] > bar.t1:
            bar.tail = death[lane]
        tl.bars.append(bar)
    for r in ledger:
        if r["event"] == "held":
            tl.marks.append(Mark(f"pid:{r['pid']}", rel(r["mono"]), "⏸", f"{r['key']} held", "held", "#37474f"))
    for op in ops:
        if op.get("kind") == "submit" and op.get("type") in SUBMIT:
            colour, word = SUBMIT[op["type"]]
            tl.marks.append(Mark("client", rel(op["mono"]), "▲", f"{op['key']} {word}", "submit", colour))
        if op.get("kind") == "phase" and op.get("data", {}).get("name") == "quiesce":
            d = op["data"]
            if op["type"] == "start":
                tl.rules.append(Rule(rel(op["mono"]), "heal all, drain"))
            else:
                tl.rules.append(Rule(rel(op["mono"]), f"drain end (deadline {d.get('deadline_s'):g} s"
                                     + (", timed out)" if d.get("timed_out") else ")")))
    ends = [r.t for r in tl.rules] + [b.tail or b.t1 for b in tl.bars] + [m.t for m in tl.marks]
    for f in verdict.get("evidence", {}).get("faults") or []:
        t0 = rel(f["start_mono"])
        t1 = rel(f["end_mono"]) if f.get("end_mono") is not None else max(ends + [t0])
        tl.bands.append(Band(t0, t1, f.get("name") or "fault"))
        ends.append(t1)
    tl.t_end = max(ends + [0.001])
    return tl


def _step(span: float) -> float:
    for step in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600):
        if span / step <= 12:
            return step
    return span / 10


W, LABEL_W, PAD_R, TOP, ROW_H, CHAR_W = 1100, 210, 150, 40, 18, 6.0
SHORT = {"succeeded": "✓", "failed": "✗", "crashing": "☠", None: "✂"}


def _layout(tl: Timeline, x) -> tuple[dict[int, tuple[int, str]], dict[str, int]]:
    """Per bar (by index): its row inside its lane and its label; per lane: how many rows. A bar gets
    its full label when it fits before the lane's next bar, else a short one (key and a symbol); bars
    that overlap in time (threads of one process) or whose labels would collide go to another row."""
    by_lane: dict[str, list[int]] = {}
    for i, bar in enumerate(tl.bars):
        by_lane.setdefault(bar.lane, []).append(i)
    placed: dict[int, tuple[int, str]] = {}
    rows: dict[str, int] = {}
    for lane, indexes in by_lane.items():
        indexes.sort(key=lambda i: tl.bars[i].t0)
        row_ends: list[float] = []
        for n, i in enumerate(indexes):
            bar = tl.bars[i]
            right = x(bar.tail or bar.t1)
            nxt = x(tl.bars[indexes[n + 1]].t0) if n + 1 < len(indexes) else W
            full = f"{bar.key} #{bar.number} {ENDS.get(bar.end, ENDS[None])[1]}"
            label = full if right + 4 + CHAR_W * len(full) <= nxt else \
                f"{bar.key}{f'#{bar.number}' if bar.number > 1 else ''} {SHORT.get(bar.end, SHORT[None])}"
            extent = right + 6 + CHAR_W * len(label)
            row = next((r for r, end in enumerate(row_ends) if end <= x(bar.t0)), len(row_ends))
            if row == len(row_ends):
                row_ends.append(extent)
            else:
                row_ends[row] = extent
            placed[i] = (row, label)
        rows[lane] = max(1, len(row_ends))
    return placed, rows


def render_timeline(tl: Timeline, uid: str = "t", title: str = "") -> str:
    plot_w = W - LABEL_W - PAD_R
    x = lambda t: LABEL_W + max(0.0, t) / tl.t_end * plot_w  # noqa: E731
    placed, rows = _layout(tl, x)
    lane_y: dict[str, float] = {}
    y = TOP
    for lane in tl.lanes:
        lane_y[lane.id] = y
        y += 6 + ROW_H * rows.get(lane.id, 1)
    bottom = y
    height = bottom + 78
    hatch = f"hatch-{escape(uid)}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" data-cell="{escape(uid)}" viewBox="0 0 {W} {height}" '
           f'width="100%" role="img" aria-label="{escape(title or "timeline")}" font-family="sans-serif" font-size="11">',
           f'<title>{escape(title or "timeline")}</title>',
           f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
           f'<rect width="6" height="6" fill="#ffcdd2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c62828" stroke-width="3"/></pattern></defs>']
    for i, lane in enumerate(tl.lanes):
        ly = lane_y[lane.id]
        lh = 6 + ROW_H * rows.get(lane.id, 1)
        out.append(f'<g class="lane" data-lane="{escape(lane.id)}"><rect x="0" y="{ly}" width="{W}" height="{lh}" '
                   f'fill="{"#f5f5f5" if i % 2 else "#ffffff"}"/>'
                   f'<text x="6" y="{ly + 15}">{escape(lane.label)}</text>')
        if lane.start is not None and lane.id != "client":
            end = lane.end if lane.end is not None else tl.t_end
            out.append(f'<line x1="{x(lane.start):.1f}" y1="{ly + 12}" x2="{x(end):.1f}" y2="{ly + 12}" stroke="#b0bec5" stroke-width="2"/>')
        out.append('</g>')
    for band in tl.bands:
        x0, x1 = x(band.t0), max(x(band.t1), x(band.t0) + 2)
        out.append(f'<g class="fault-window" data-fault="{escape(band.label)}"><rect x="{x0:.1f}" y="{TOP - 16}" width="{x1 - x0:.1f}" '
                   f'height="{bottom - TOP + 16}" fill="#fbc02d" fill-opacity="0.28" stroke="#f57f17" stroke-dasharray="4 2"/>'
                   f'<text x="{x0 + 3:.1f}" y="{TOP - 4}" font-weight="bold" fill="#e65100">⚡ fault: {escape(band.label)} '
                   f'({band.t0:.2f}–{band.t1:.2f} s)</text></g>')
    for n, rule in enumerate(tl.rules):
        xr = x(rule.t)
        anchor = "end" if xr > W - PAD_R - 150 else "start"
        out.append(f'<g class="phase"><line x1="{xr:.1f}" y1="{TOP}" x2="{xr:.1f}" y2="{bottom}" stroke="#546e7a" stroke-dasharray="2 3"/>'
                   f'<text x="{xr + (3 if anchor == "start" else -3):.1f}" y="{bottom + 12 + 24 * (n % 2)}" text-anchor="{anchor}" '
                   f'fill="#37474f">{escape(rule.label)} @ {rule.t:.2f} s</text></g>')
    for i, bar in enumerate(tl.bars):
        if bar.lane not in lane_y:
            continue
        colour, word = ENDS.get(bar.end, ENDS[None])
        row, label = placed[i]
        by = lane_y[bar.lane] + 4 + ROW_H * row
        x0, x1 = x(bar.t0), max(x(bar.t1), x(bar.t0) + 3)
        fill = f"url(#{hatch})" if bar.end is None else colour
        tip = (f"{bar.key} attempt {bar.number} in pid {bar.pid}: {bar.t0:.3f}–{bar.t1:.3f} s, {word}"
               + (f", its process died at {bar.tail:.3f} s" if bar.tail else "") + f"; task outcome: {bar.outcome}")
        out.append(f'<g class="attempt" data-key="{escape(bar.key)}" data-attempt="{bar.number}" data-pid="{bar.pid}" '
                   f'data-end="{escape(word)}" data-outcome="{escape(bar.outcome)}"><title>{escape(tip)}</title>')
        if bar.tail:
            out.append(f'<line x1="{x1:.1f}" y1="{by + 6}" x2="{x(bar.tail):.1f}" y2="{by + 6}" stroke="{colour}" '
                       f'stroke-width="2" stroke-dasharray="3 2"/>')
            x1 = x(bar.tail)
        out.append(f'<rect x="{x0:.1f}" y="{by}" width="{max(x(bar.t1), x0 + 3) - x0:.1f}" height="12" fill="{fill}" stroke="{colour}"/>'
                   f'<text x="{x1 + 4:.1f}" y="{by + 10}" fill="{colour}">{escape(label)}</text></g>')
    last_label_x: dict[str, float] = {}
    for mark in sorted(tl.marks, key=lambda m: m.t):
        if mark.lane not in lane_y:
            continue
        xm, my = x(mark.t), lane_y[mark.lane]
        show = xm - last_label_x.get(mark.lane, -1e9) > 70
        out.append(f'<g class="mark" data-kind="{mark.kind}"><title>{escape(mark.label)} @ {mark.t:.3f} s</title>'
                   f'<text x="{xm:.1f}" y="{my + 15}" text-anchor="middle" font-size="13" fill="{mark.colour}">{mark.symbol}</text>'
                   + (f'<text x="{xm + 8:.1f}" y="{my + 8}" font-size="9" fill="{mark.colour}">{escape(mark.label)}</text>' if show else "")
                   + '</g>')
        if show:
            last_label_x[mark.lane] = xm
    step = _step(tl.t_end)
    t = 0.0
    out.append(f'<g class="axis"><line x1="{LABEL_W}" y1="{bottom}" x2="{LABEL_W + plot_w}" y2="{bottom}" stroke="#607d8b"/>')
    while t <= tl.t_end + 1e-9:
        xt = x(t)
        out.append(f'<line x1="{xt:.1f}" y1="{bottom}" x2="{xt:.1f}" y2="{bottom + 4}" stroke="#607d8b"/>'
                   f'<text x="{xt:.1f}" y="{bottom + 24}" text-anchor="middle" fill="#455a64">{t:g} s</text>')
        t = round(t + step, 6)
    out.append('</g>')
    ly = bottom + 50
    legend = [(ENDS[end][0], f"{SHORT[end]} {ENDS[end][1]}", end is None) for end in ("succeeded", "failed", "crashing", None)]
    lx = 6
    out.append('<g class="legend">')
    for colour, word, hatched in legend:
        out.append(f'<rect x="{lx}" y="{ly}" width="18" height="10" fill="{f"url(#{hatch})" if hatched else colour}" stroke="{colour}"/>'
                   f'<text x="{lx + 22}" y="{ly + 9}">{escape(word)}</text>')
        lx += 40 + 6 * len(word)
    out.append(f'<text x="{lx}" y="{ly + 9}">(cut off: dashes run until its process died)</text>'
               f'<text x="6" y="{ly + 24}">▲ submission (blue: accepted) · ✕ kill · ↻ (re)start · ⏸ held by the harness · '
               f'shaded: fault window · grey line: process alive</text></g>')
    out.append('</svg>')
    return "".join(out)


def timeline_svg(cell: dict, ops: list[dict], ledger: list[dict], uid: str = "t") -> str:
    return render_timeline(build_timeline(cell, ops, ledger), uid, title=f"timeline of {cell.get('cell', uid)}")
