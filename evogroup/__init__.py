"""evogroup: evolutionary search of per-layer group counts under a FLOP budget.

The core is torch-free: ``import evogroup`` never imports torch.
"""

from __future__ import annotations

from evogroup.backend import Backend, Run, TrainResult
from evogroup.baselines import random_search, uniform
from evogroup.cost import Cost, CostTable
from evogroup.errors import (
    BackendError,
    CheckpointError,
    DataError,
    EvogroupError,
    InfeasibleBudgetError,
    InvalidGenomeError,
    OptionError,
)
from evogroup.front import Front
from evogroup.layout import RunLayout
from evogroup.options import BackendOptions, option
from evogroup.plugins import get_backend, list_backends
from evogroup.problem import Fitness, Problem
from evogroup.result import Evaluation, IterationStats, SearchResult
from evogroup.search import search
from evogroup.settings import SearchSettings
from evogroup.space import Genome, Layer, SearchSpace, divisors
from evogroup.strategies import list_strategies
from evogroup.units import format_flops, parse_flops

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendOptions",
    "BackendError",
    "CheckpointError",
    "Cost",
    "CostTable",
    "DataError",
    "Evaluation",
    "EvogroupError",
    "Fitness",
    "Genome",
    "InfeasibleBudgetError",
    "InvalidGenomeError",
    "IterationStats",
    "Layer",
    "OptionError",
    "Problem",
    "Run",
    "RunLayout",
    "SearchResult",
    "SearchSettings",
    "SearchSpace",
    "TrainResult",
    "divisors",
    "Front",
    "format_flops",
    "get_backend",
    "list_backends",
    "list_strategies",
    "option",
    "parse_flops",
    "random_search",
    "search",
    "uniform",
]
