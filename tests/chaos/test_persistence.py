"""Persistence ("an accepted task survives restarts") for every profile under every fault.

What each cell is expected to show lives in expectations.toml, not here.
"""

import pytest

from chaos.profile import PERSISTENCE_MODES, load_profiles

PROFILES = list(load_profiles())


@pytest.mark.chaos
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fault", ["kill-worker", "kill-child"])
def test_persistence_under_executor_faults(chaos, fault, profile):
    chaos.check("persistence", fault, profile)


@pytest.mark.chaos
@pytest.mark.parametrize("infra", ["process", "docker"])
@pytest.mark.parametrize("persistence", PERSISTENCE_MODES)
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fault", ["restart-redis", "kill-redis"])
def test_persistence_under_redis_faults(chaos, fault, profile, persistence, infra):
    """Redis faults under both infra drivers: the same cell must give the same verdict."""
    chaos.check("persistence", fault, f"{profile}@{persistence}", infra=infra)
