"""Integrity (beyond the seed's table: nothing runs unaccepted or twice) for every profile, without a
fault and under the faults that make a task run twice. What each cell shows lives in expectations.toml."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", CLAIMS["integrity"].faults)
def test_integrity(chaos, fault, profile):
    chaos.check("integrity", fault, profile)
