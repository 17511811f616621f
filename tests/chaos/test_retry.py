"""Retry ("failed tasks are retried automatically") for every profile, with no fault."""

import pytest

from chaos.profile import load_profiles


@pytest.mark.chaos
@pytest.mark.parametrize("profile", load_profiles())
def test_retry(chaos, profile):
    chaos.check("retry", "none", profile)
