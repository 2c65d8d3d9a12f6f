"""Fixtures of the simulation tests."""

from __future__ import annotations

import copy

import pytest
from sim_helpers import BASE


@pytest.fixture
def scenario_dict() -> dict:
    """A fresh deep copy of the base scenario."""
    return copy.deepcopy(BASE)
