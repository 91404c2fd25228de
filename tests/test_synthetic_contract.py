"""The synthetic backend passes the backend contract, with default and explicit options."""

from __future__ import annotations

from evogroup.testing import BackendContract


class TestSynthetic(BackendContract):
    backend_name = "synthetic"
    budget = 0.8e8
    infeasible_budget = 0.1e8


class TestSyntheticWithOptions(BackendContract):
    backend_name = "synthetic"
    options = {"problem_seed": 3, "noise": 0.0}
    # budget left out: halfway between the min and max cost
