"""Scheduled ("run later / periodically") for every profile: countdown tasks with no fault, with the
worker killed while one waits, and (Celery) with Beat killed between its ticks."""

import pytest

from chaos.judgement.claims.scheduled import Scheduled
from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("fault", Scheduled.faults)
@pytest.mark.parametrize("profile", load_profiles())
def test_scheduled(chaos, fault, profile):
    chaos.check("scheduled", fault, profile)
