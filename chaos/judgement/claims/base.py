"""The claim interface: a property over the checker's outcomes, judged per run."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from chaos.judgement.checker import CheckResult
from chaos.profile import Profile
from chaos.records.taskspec import TaskSpec


@dataclass
class ClaimResult:
    claim: str
    holds: bool
    violations: int  # tasks that break the property
    relevant: int  # tasks the property is about
    counts: dict[str, int] = field(default_factory=dict)  # outcomes of the relevant tasks
    violating_keys: list[str] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict:
        return self.__dict__.copy()


class Claim(abc.ABC):
    name: str
    property: str  # the property in one sentence

    @abc.abstractmethod
    def relevant(self, spec: TaskSpec, profile: Profile) -> bool:
        """Whether this task is one the claim speaks about."""

    @abc.abstractmethod
    def violates(self, outcome: str) -> bool:
        """Whether a relevant task with this outcome breaks the property."""

    def judge(self, specs: list[TaskSpec], result: CheckResult, profile: Profile) -> ClaimResult:
        counts: dict[str, int] = {}
        violating: list[str] = []
        relevant = 0
        for spec in specs:
            outcome = result.outcomes[spec.key]
            if outcome.submission != "ok" or not self.relevant(spec, profile):
                continue
            relevant += 1
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
            if self.violates(outcome.outcome):
                violating.append(spec.key)
        if relevant == 0:
            return ClaimResult(self.name, False, 0, 0, counts, [], "no acknowledged task this claim speaks about: "
                               "the run proves nothing")
        return ClaimResult(self.name, not violating, len(violating), relevant, counts, violating)
