"""Status ("the task's state can be queried") for every profile, with no fault and under a worker kill
and a Redis restart: the status API agrees with the ledger after quiescence, and an id never
submitted does not read like a queued task. What each cell shows lives in expectations.toml."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", CLAIMS["status"].faults)
def test_status(chaos, fault, profile):
    chaos.check("status", fault, profile)
