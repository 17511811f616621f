"""The claim interface: one module per row of the seed's table, registered by name in ``CLAIMS``.

A claim states, as data:

- ``name`` and ``seed_row`` — which row of the seed's section 3.1 table it tests
  (``chaos/judgement/seed_table.toml`` holds what the seed says per backend);
- ``property`` — the property it checks, in one sentence;
- ``faults`` — the fault labels it is checked under (``none`` = no fault); tests/chaos parametrises
  over them, and expectations.toml has one table per ``[<claim>.<fault>]``;
- ``needs`` — what the deployment must run beside the default servers (e.g. ``{"workers": 2}``,
  ``{"beat": True}``, ``{"monitor": True}``); chaos/infra/deployment.py reads it;

and judges one run from the :class:`Evidence` (the checker's outcomes, the ledger with its timings,
the client's history) into a :class:`ClaimResult`. ``chaos.judgement.verdict.decide`` turns that into
holds / violated / not-claimed / unsupported / inconclusive / measured. A claim never knows what a
backend is expected to do: it only reads what the run recorded (a 501 from the target is how
"unsupported" is *observed*).

Most claims are over per-task outcomes: subclass :class:`OutcomeClaim` and say which tasks are
relevant and which outcomes violate. Others (priority inversions, timings, throughput) override
``judge``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

from chaos.judgement.checker import CheckResult, TaskOutcome
from chaos.profile import Profile
from chaos.records.history import History
from chaos.records.ledger import LedgerSnapshot
from chaos.records.taskspec import TaskSpec


@dataclass
class Evidence:
    """Everything a claim may read about one run (all of it recorded, none of it believed)."""

    specs: list[TaskSpec]
    check: CheckResult
    ledger: LedgerSnapshot
    history: History


@dataclass
class ClaimResult:
    claim: str
    holds: bool
    violations: int  # tasks (or events) that break the property
    relevant: int  # tasks (or events) the property is about
    counts: dict[str, int] = field(default_factory=dict)  # outcomes of the relevant tasks
    violating_keys: list[str] = field(default_factory=list)
    note: str = ""
    unsupported: bool = False  # the target answered that the backend has no API for this (HTTP 501)
    measurements: dict = field(default_factory=dict)  # figures the claim measured (never asserted as speed)
    measured_only: bool = False  # the claim reports a measurement, not a pass/fail property

    def to_json(self) -> dict:
        return self.__dict__.copy()


class Claim(abc.ABC):
    name: ClassVar[str]
    seed_row: ClassVar[str]  # the key of the row in seed_table.toml (usually == name)
    property: ClassVar[str]  # the property in one sentence
    faults: ClassVar[tuple[str, ...]] = ("none",)
    needs: ClassVar[dict] = {}

    @abc.abstractmethod
    def judge(self, evidence: Evidence, profile: Profile) -> ClaimResult:
        """The claim's result for one run."""

    def describe(self) -> dict:
        return {"name": self.name, "seed_row": self.seed_row, "property": self.property,
                "faults": list(self.faults), "needs": dict(self.needs)}


def acknowledged(evidence: Evidence) -> list[tuple[TaskSpec, TaskOutcome]]:
    """Each task whose submission the target acknowledged, with its outcome, in submission order."""
    return [(spec, evidence.check.outcomes[spec.key]) for spec in evidence.specs
            if evidence.check.outcomes[spec.key].submission == "ok"]


def unsupported_submissions(evidence: Evidence) -> list[str]:
    """Keys whose submission the target refused as unsupported (HTTP 501): the backend has no API."""
    return [op.key for op in evidence.history.ops
            if op.kind == "submit" and op.type == "fail" and op.data.get("unsupported")]


class OutcomeClaim(Claim):
    """A claim over per-task outcomes: a relevant, acknowledged task whose outcome ``violates`` breaks it."""

    @abc.abstractmethod
    def relevant(self, spec: TaskSpec, profile: Profile) -> bool:
        """Whether this task is one the claim speaks about."""

    @abc.abstractmethod
    def violates(self, outcome: str) -> bool:
        """Whether a relevant task with this outcome breaks the property."""

    def judge(self, evidence: Evidence, profile: Profile) -> ClaimResult:
        counts: dict[str, int] = {}
        violating: list[str] = []
        relevant = 0
        for spec, outcome in acknowledged(evidence):
            if not self.relevant(spec, profile):
                continue
            relevant += 1
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
            if self.violates(outcome.outcome):
                violating.append(spec.key)
        if relevant == 0:
            return ClaimResult(self.name, False, 0, 0, counts, [], "no acknowledged task this claim speaks about: "
                               "the run proves nothing")
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating)
