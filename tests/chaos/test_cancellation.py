"""Cancellation for every profile: a task cancelled while queued never runs (also when the worker is
killed after the cancel), one cancelled with terminate while running never succeeds, and the
status API reads cancelled. What each cell shows lives in expectations.toml."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", CLAIMS["cancellation"].faults)
def test_cancellation(chaos, fault, profile):
    chaos.check("cancellation", fault, profile)
