"""Timeout control for every profile: a task past its time limit is stopped and reads failed, one
within its limit succeeds, and the worker goes on serving. What each cell shows lives in
expectations.toml."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", CLAIMS["timeout"].faults)
def test_timeout(chaos, fault, profile):
    chaos.check("timeout", fault, profile)
