"""The verdict table: rows are claims × faults (× persistence mode), columns are profiles."""

from __future__ import annotations

from chaos.brokers import DURABILITY_FAULTS


def verdict_table(verdicts: list[dict]) -> str:
    if not verdicts:
        return "no verdicts"
    profiles: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for v in verdicts:
        if v["profile"] not in profiles:
            profiles.append(v["profile"])
        row = f"{v['claim']} / {v['fault']}"
        if v["fault"] in DURABILITY_FAULTS:
            row += f" [{v['persistence']}]"
        if v.get("infra", "process") != "process":
            row += f" ({v['infra']})"
        rows.setdefault(row, {})[v["profile"]] = v["short"]
    header = ["claim / fault [redis persistence] (infra)", *profiles]
    body = [[row, *(cells.get(p, "—") for p in profiles)] for row, cells in rows.items()]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    fmt = lambda line: " | ".join(str(c).ljust(w) for c, w in zip(line, widths))  # noqa: E731
    out = [fmt(header), "-+-".join("-" * w for w in widths)]
    out += [fmt(line) for line in body]
    return "\n".join(out)


def outcome_summary(cells: list[dict]) -> str:
    """Per profile and fault: how many tasks were lost, duplicated, retried..."""
    lines = []
    for cell in cells:
        counts = cell["check"]["counts"]
        v = cell["verdict"]
        shown = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        infra = "" if v.get("infra", "process") == "process" else f" ({v['infra']})"
        lines.append(f"{v['profile']}@{v['persistence']} {v['claim']}/{v['fault']}{infra}: {shown}")
    return "\n".join(lines)
