"""Retry — "failed tasks are retried automatically" (seed: 任务重试).

Property: every acknowledged task that fails transiently between 1 and ``SEED_MAX_RETRIES`` times
(the seed's ``max_retries=3``) is retried until it succeeds. The claim is the seed's, so the bound is
the seed's too, whatever the profile configures: a profile without retries violates it.
"""

from chaos.judgement.claims.base import OutcomeClaim

SEED_MAX_RETRIES = 3


class Retry(OutcomeClaim):
    name = "retry"
    seed_row = "retry"
    property = f"a task failing transiently 1..{SEED_MAX_RETRIES} times is retried until it succeeds"

    def relevant(self, spec, profile) -> bool:
        return 1 <= spec.fail_times <= SEED_MAX_RETRIES and spec.crash_times == 0

    def violates(self, outcome: str) -> bool:
        return outcome not in ("ok", "retried", "duplicated", "status-mismatch")
