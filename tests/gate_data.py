"""Hand-built verdicts for the matrix and gate tests: real Verdict / ClaimResult objects, as report.json
stores them (``Verdict.to_json()``)."""

from chaos.judgement.claims.base import ClaimResult
from chaos.judgement.verdict import Verdict

BACKEND = {"bgtasks": "bgtasks", "rq-default": "rq", "rq-retry": "rq", "celery-default": "celery",
           "celery-acks-late": "celery", "celery-acks-late-reject": "celery"}


def verdict(claim: str, fault: str, profile: str, word: str, *, persistence: str = "aof-everysec",
            infra: str = "process", violations: int = 0, relevant: int = 5, counts: dict | None = None,
            measurements: dict | None = None, note: str = "") -> dict:
    result = ClaimResult(claim, word == "holds", violations, relevant, counts or {"ok": relevant - violations},
                         [f"t{i}" for i in range(violations)], note, word == "unsupported", measurements or {},
                         word == "measured")
    directory = f"/runs/r1/cells/{claim}-{fault}-{profile}@{persistence}" + ("" if infra == "process" else f"-{infra}")
    v = Verdict(claim=claim, fault=fault, profile=profile, persistence=persistence, backend=BACKEND.get(profile, "rq"),
                verdict=word, result=result, infra=infra,
                evidence={"scenario": f"{directory}/scenario.json", "directory": directory,
                          "replay": f"taskchaos replay {directory}/scenario.json --profile {profile}@{persistence} "
                                    f"--claim {claim} --fault {fault} --infra {infra}"})
    return v.to_json()


# What tests/report_data/run (a real run) showed, as an expectations file; FLIPPED_REPORT_DATA expects
# the opposite of two of its cells, so a gate on it fails with 2 changed.
REPORT_DATA_EXPECTATIONS = """
[persistence.kill-worker]
bgtasks = "not-claimed"
celery-acks-late = "holds"
rq-default = "violated"

[persistence.kill-broker]
rq-default = { rdb = "violated" }

[persistence.reset-peer-run]
celery-default = "violated"

[retry.none]
rq-retry = "holds"
"""
FLIPPED_REPORT_DATA = (REPORT_DATA_EXPECTATIONS.replace('celery-acks-late = "holds"', 'celery-acks-late = "violated"')
                       .replace('rq-default = "violated"', 'rq-default = "holds"', 1))
