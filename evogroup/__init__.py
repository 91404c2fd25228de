"""evogroup: evolutionary search of per-layer group counts under a FLOP budget.

The core is torch-free: ``import evogroup`` never imports torch.
"""

from __future__ import annotations

from evogroup.backend import Backend, Option, Run
from evogroup.cost import Cost, CostTable
from evogroup.errors import (
    BackendError,
    CheckpointError,
    DataError,
    EvogroupError,
    InfeasibleBudgetError,
    InvalidGenomeError,
)
from evogroup.problem import Fitness, Problem
from evogroup.space import Genome, Layer, SearchSpace, divisors
from evogroup.units import format_flops, parse_flops

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendError",
    "CheckpointError",
    "Cost",
    "CostTable",
    "DataError",
    "EvogroupError",
    "Fitness",
    "Genome",
    "InfeasibleBudgetError",
    "InvalidGenomeError",
    "Layer",
    "Option",
    "Problem",
    "Run",
    "SearchSpace",
    "divisors",
    "format_flops",
    "parse_flops",
]
