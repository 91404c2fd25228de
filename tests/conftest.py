"""Shared fixtures and the Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci|dev`` picks a profile; without it, ``ci`` when ``CI`` is set, else ``dev``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from evogroup import CostTable, Problem, SearchSpace
from evogroup.backend.registry import get_backend

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

BUDGET = 0.8e8  # the paper's M2 budget


@pytest.fixture
def synthetic_problem():
    """The synthetic backend's problem (MobileNet M2's space and FLOPs) at the paper's budget."""
    return get_backend("synthetic").problem(BUDGET)


@pytest.fixture
def tiny_problem():
    """Six genomes, five of them within budget: small enough to exhaust."""
    space = SearchSpace.from_channels([4, 2], names=["a", "b"])  # choices (1, 2, 4) x (1, 2)
    table = CostTable([{1: 8.0, 2: 4.0, 4: 2.0}, {1: 4.0, 2: 2.0}])
    return Problem(space, lambda g: float(g[0] + 10 * g[1]), table, budget=10.0)
