"""The verdict matrix the HTML page draws: the seed's table (rows = claims, in seed_table.toml's
order) × profiles (columns), each cell holding every verdict of that claim and profile (one per fault,
persistence mode and infra driver).

This is the ONE place the page gets its matrix from: swap :func:`verdict_matrix` for the matrix
module (chaos/report/matrix.py) when it lands, keeping the returned shape:

    {"columns": [{"profile": <profile>, "backend": <backend>}, ...],
     "rows": [{"claim": "persistence", "row": "persistence: an accepted task survives restarts",
               "seed": {<backend>: <the seed's yes/no>, ...},
               "cells": {<profile>: [<verdict dict from report.json>, ...], ...}}, ...]}
"""

from __future__ import annotations

from chaos.judgement.verdict import seed_table


def verdict_matrix(report: dict) -> dict:
    verdicts = report.get("verdicts", [])
    profiles = report.get("profiles", {})
    columns = [{"profile": name, "backend": p.get("backend", "")} for name, p in profiles.items()]
    for v in verdicts:  # a profile that ran but is not in the profile list (e.g. a test-only one)
        if all(c["profile"] != v["profile"] for c in columns):
            columns.append({"profile": v["profile"], "backend": v.get("backend", "")})
    table = seed_table()
    claims = list(table)
    for v in verdicts:  # a claim measured beside the seed's table (throughput is its section 7.2)
        if v["claim"] not in claims:
            claims.append(v["claim"])
    rows = []
    for claim in claims:
        seed = table.get(claim, {})
        cells: dict[str, list[dict]] = {}
        for v in verdicts:
            if v["claim"] == claim:
                cells.setdefault(v["profile"], []).append(v)
        rows.append({"claim": claim, "row": seed.get("row", claim),
                     "seed": {k: bool(val) for k, val in seed.items() if isinstance(val, bool)},
                     "cells": cells})
    return {"columns": columns, "rows": rows}
