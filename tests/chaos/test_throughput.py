"""Throughput (the seed's section 7.2, scaled down) for every profile: a measurement, verdict
``measured``; the figures go to report.json, never into an assertion. bench/throughput.py runs the
full experiment over 1, 2 and 4 workers."""

import pytest

from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", load_profiles())
def test_throughput(chaos, profile):
    chaos.check("throughput", "none", profile)
