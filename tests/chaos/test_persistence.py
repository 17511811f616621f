"""Persistence ("an accepted task survives restarts") for every profile under every fault.

What each cell is expected to show lives in expectations.toml, not here.
"""

import pytest

from chaos.brokers import DURABILITY_FAULTS, broker_kind
from chaos.nemesis import fault_labels
from chaos.cell import parse_fault
from chaos.profile import durability_cells, load_profiles, quick_runs_everything

PROFILES_BY_NAME = load_profiles()
PROFILES = list(PROFILES_BY_NAME)
MEMORY = [label for label in fault_labels() if parse_fault(label)[0].startswith("memory-")]
# The quick budget (the CI gate) runs the docker twins of the broker-fault cells for one profile per
# backend, in two modes: its broker kind's least durable one and the profile's own (one that loses,
# one that keeps). The driver is what they test, and every twin has matched its process cell so far.
# The standard and deep budgets run them all (and the quick one with TASKCHAOS_QUICK_CELLS=all).
DOCKER_QUICK = ("celery-default", "rq-default")


def _docker_twin_left_out(profile_id: str) -> str | None:
    name, _, mode = profile_id.partition("@")
    profile = PROFILES_BY_NAME[name]
    modes = (broker_kind(profile.broker).modes[0], profile.persistence)
    if name in DOCKER_QUICK and mode in modes:
        return None
    return (f"quick budget: docker twins run for {', '.join(DOCKER_QUICK)} in modes {' and '.join(modes)} only "
            "(--chaos-budget standard runs all)")


@pytest.mark.chaos
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fault", ["kill-worker", "kill-child", "stop-worker-1s", "stop-worker-30s", "rolling-deploy",
                                   "kill-producer"])
def test_persistence_under_executor_faults(chaos, fault, profile):
    chaos.check("persistence", fault, profile)


@pytest.mark.chaos
@pytest.mark.parametrize("infra", ["process", "docker"])
@pytest.mark.parametrize("profile_id", durability_cells())
@pytest.mark.parametrize("fault", DURABILITY_FAULTS)
def test_persistence_under_broker_faults(chaos, fault, profile_id, infra):
    """Faults on the broker's data, for every durability mode of each profile's broker kind, under both
    infra drivers: the same cell must give the same verdict."""
    if infra == "docker" and chaos.config.getoption("--chaos-budget") == "quick" and not quick_runs_everything():
        reason = _docker_twin_left_out(profile_id)
        if reason:
            pytest.skip(reason)
    chaos.check("persistence", fault, profile_id, infra=infra)


@pytest.mark.chaos
@pytest.mark.parametrize("profile", PROFILES)
def test_persistence_under_a_frozen_broker(chaos, profile):
    """The broker frozen (SIGSTOP) past its clients' timeouts, in each profile's own durability mode:
    a pause loses nothing of what the broker holds, so the mode is not an axis of this cell."""
    chaos.check("persistence", "pause-broker", profile)


@pytest.mark.chaos
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fault", MEMORY)
def test_persistence_under_memory_pressure(chaos, fault, profile):
    """The broker at its memory limit under each eviction policy its kind has (chaos/brokers.toml)."""
    chaos.check("persistence", fault, profile)
