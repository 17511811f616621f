"""Priority for every profile, without a fault and under kill-worker (chaos/judgement/claims/priority.py).

What each cell is expected to show lives in expectations.toml, not here.
"""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", load_profiles())
@pytest.mark.parametrize("fault", CLAIMS["priority"].faults)
def test_priority(chaos, fault, profile):
    chaos.check("priority", fault, profile)
