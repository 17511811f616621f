"""Verdicts: one per cell (claim × fault × profile@persistence), from a claim's result and the seed's
table: ``holds``; ``violated`` (the seed claims it, the run broke it); ``not-claimed`` (the seed says
no, and the run shows why); ``unsupported`` (the target answered that the backend has no API for it);
``measured`` (the claim is a measurement — throughput — reported with its figures, never gated as a
speed); ``inconclusive`` (the run had nothing to judge)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chaos.backends import BackendError, backends
from chaos.judgement.claims.base import ClaimResult

SEED_TABLE = Path(__file__).with_name("seed_table.toml")
VERDICTS = ("holds", "violated", "not-claimed", "unsupported", "measured", "inconclusive")


@cache
def seed_table() -> dict:
    """Per claim: the seed's row (``row``, ``seed``) and, per backend, whether the seed claims it."""
    rows = tomllib.loads(SEED_TABLE.read_text())
    for backend in backends().values():
        missing = sorted(set(rows) - set(backend.seed))
        if missing:
            raise BackendError(f"{backend.folder / 'backend.toml'}: [seed] lacks {', '.join(missing)}: a backend's "
                               f"column says, for every row of {SEED_TABLE}, whether the seed claims it")
        for claim, row in rows.items():
            row[backend.name] = backend.seed[claim]
    return rows


def seed_claims(claim: str, backend: str) -> bool:
    return bool(seed_table()[claim][backend])


@dataclass
class Verdict:
    claim: str
    fault: str
    profile: str
    persistence: str
    backend: str
    verdict: str
    result: ClaimResult
    infra: str = "process"
    evidence: dict = field(default_factory=dict)

    @property
    def cell(self) -> str:
        suffix = "" if self.infra == "process" else f" [{self.infra}]"
        return f"{self.claim}/{self.fault}/{self.profile}@{self.persistence}{suffix}"

    @property
    def short(self) -> str:
        r = self.result
        if self.verdict in ("violated", "not-claimed"):
            return f"{self.verdict} {r.violations}/{r.relevant}"
        return self.verdict

    def to_json(self) -> dict:
        return {"cell": self.cell, "claim": self.claim, "fault": self.fault, "profile": self.profile,
                "persistence": self.persistence, "backend": self.backend, "infra": self.infra, "verdict": self.verdict,
                "short": self.short, "result": self.result.to_json(), "evidence": self.evidence}


def decide(result: ClaimResult, backend: str) -> str:
    if result.unsupported:
        return "unsupported"
    if result.measured_only:
        return "measured" if result.relevant else "inconclusive"
    if result.relevant == 0:
        return "inconclusive"
    if result.holds:
        return "holds"
    return "violated" if seed_claims(result.claim, backend) else "not-claimed"
