"""Persistence under network faults on every broker connection (through Toxiproxy), during
submission and during execution, for every profile that uses a broker."""

import pytest

from chaos.cell import parse_fault
from chaos.nemesis import FAULTS, fault_labels
from chaos.profile import load_profiles

NETWORK = [label for label in fault_labels() if FAULTS[parse_fault(label)[0]].role == "broker-network"]


@pytest.mark.chaos
@pytest.mark.parametrize("profile", list(load_profiles()))
@pytest.mark.parametrize("fault", NETWORK)
def test_persistence_under_network_faults(chaos, fault, profile):
    chaos.check("persistence", fault, profile)
