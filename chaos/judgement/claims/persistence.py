"""Persistence — "an accepted task survives restarts" (seed: 任务持久化).

Property: every acknowledged task that its backend should complete (it asks for fewer failures and
crashes than the profile allows attempts) completes within the drain deadline, despite the fault.
Broken by ``lost``, ``stuck`` and ``failed`` (a task killed by the fault and marked failed did not
survive either). Duplicates do not break it; they are counted and shown.
"""

from chaos.judgement.claims.base import Claim


class Persistence(Claim):
    name = "persistence"
    property = "every acknowledged task completes within the drain deadline despite the fault"

    def relevant(self, spec, profile) -> bool:
        return spec.expects_success(profile.max_attempts)

    def violates(self, outcome: str) -> bool:
        return outcome in ("lost", "stuck", "failed")
