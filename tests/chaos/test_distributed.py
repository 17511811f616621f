"""Distributed for every profile, without a fault and under kill-worker (chaos/judgement/claims/distributed.py).

What each cell is expected to show lives in expectations.toml, not here.
"""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", load_profiles())
@pytest.mark.parametrize("fault", CLAIMS["distributed"].faults)
def test_distributed(chaos, fault, profile):
    chaos.check("distributed", fault, profile)
