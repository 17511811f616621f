"""Monitoring ("Celery → Flower, RQ → RQ Dashboard") for every profile: with no fault, and with the
monitoring server restarted while a task runs. What each cell is expected to show lives in
expectations.toml, not here."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", CLAIMS["monitoring"].faults)
def test_monitoring(chaos, fault, profile):
    chaos.check("monitoring", fault, profile)
