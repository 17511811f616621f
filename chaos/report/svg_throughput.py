"""The throughput chart (the seed's section 7.2) as inline SVG, from the ``throughput`` claim's
measurements in report.json. The measurements are read generically: any nesting of dicts whose last
key is a worker count and whose leaf is tasks per second, e.g. ``{"4": 3.9, "10": 9.6}`` (for the
cell's profile) or ``{"celery-default": {"4": 3.9}}``; each path above the worker count names a series."""

from __future__ import annotations

from html import escape

CLAIM = "throughput"
COLOURS = ("#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#37474f")
SHAPES = ("●", "■", "▲", "◆", "▼", "★", "✚", "⬟")


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _leaves(obj, path: tuple[str, ...]):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaves(value, (*path, str(key)))
    elif _number(obj) is not None:
        yield path, float(obj)


def throughput_series(report: dict) -> dict[str, dict[float, float]]:
    """Series name → {worker count: tasks/s}, from every throughput verdict's measurements."""
    series: dict[str, dict[float, float]] = {}
    for v in report.get("verdicts", []):
        if v.get("claim") != CLAIM:
            continue
        for path, value in _leaves(v.get("result", {}).get("measurements") or {}, ()):
            workers = _number(path[-1]) if path else None
            if workers is None:
                continue
            name = " / ".join(path[:-1]) or v["profile"]
            if path[:-1] and v["profile"] not in path[:-1][0]:
                name = f"{v['profile']}: {name}"
            series.setdefault(name, {})[workers] = value
    return series


def _ticks(top: float) -> list[float]:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if top / step <= 8:
            return [i * step for i in range(int(top / step) + 2) if i * step <= top * 1.0001 + step]
    return [top]


def throughput_svg(series: dict[str, dict[float, float]]) -> str:
    W, H, L, R, T, B = 760, 340, 60, 200, 20, 50
    xs = sorted({w for s in series.values() for w in s})
    top_y = max((v for s in series.values() for v in s.values()), default=1.0) or 1.0
    yticks = _ticks(top_y)
    top_y = max(yticks[-1], top_y)
    top_x = max(xs) if xs else 1.0
    x = lambda w: L + w / top_x * (W - L - R)  # noqa: E731
    y = lambda v: H - B - v / top_y * (H - T - B)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="throughput" viewBox="0 0 {W} {H}" width="{W}" '
           f'role="img" aria-label="throughput: tasks per second by worker count" font-family="sans-serif" font-size="11">',
           '<title>throughput: tasks per second by worker count</title>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="#607d8b"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="#607d8b"/>']
    for tick in yticks:
        out.append(f'<line x1="{L - 4}" y1="{y(tick):.1f}" x2="{W - R}" y2="{y(tick):.1f}" stroke="#eceff1"/>'
                   f'<text x="{L - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for w in xs:
        out.append(f'<text x="{x(w):.1f}" y="{H - B + 16}" text-anchor="middle">{w:g}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">workers</text>'
               f'<text x="14" y="{(T + H - B) / 2}" transform="rotate(-90 14 {(T + H - B) / 2})" text-anchor="middle">tasks / s</text>')
    for i, (name, points) in enumerate(series.items()):
        colour, shape = COLOURS[i % len(COLOURS)], SHAPES[i % len(SHAPES)]
        pts = sorted(points.items())
        path = " ".join(f"{x(w):.1f},{y(v):.1f}" for w, v in pts)
        out.append(f'<g class="series" data-series="{escape(name)}"><polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for w, v in pts:
            out.append(f'<text x="{x(w):.1f}" y="{y(v) + 4:.1f}" text-anchor="middle" fill="{colour}">{shape}</text>'
                       f'<text x="{x(w):.1f}" y="{y(v) - 8:.1f}" text-anchor="middle" font-size="10" fill="{colour}">{v:.3g}</text>')
        out.append(f'<text x="{W - R + 12}" y="{T + 14 + 16 * i}" fill="{colour}">{shape} {escape(name)}</text></g>')
    out.append('</svg>')
    return "".join(out)
