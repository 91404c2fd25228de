"""evogroup: evolutionary search of per-layer group counts under a FLOP budget.

The core is torch-free: ``import evogroup`` never imports torch.
"""

from __future__ import annotations

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.backend.registry import get_backend, list_backends
from evogroup.core.cost import Cost, CostTable
from evogroup.core.errors import (
    BackendError,
    CheckpointError,
    DataError,
    EvogroupError,
    InfeasibleBudgetError,
    InvalidGenomeError,
    InvalidValueError,
    OptionError,
    PluginError,
)
from evogroup.core.front import Front
from evogroup.core.loop import search
from evogroup.core.options import option
from evogroup.core.plugins import list_strategies
from evogroup.core.problem import Fitness, Problem
from evogroup.core.records import Evaluation, IterationStats
from evogroup.core.result import SearchResult
from evogroup.core.settings import SearchSettings
from evogroup.core.space import Genome, Layer, SearchSpace, divisors
from evogroup.core.strategy import Strategy, StrategyOptions
from evogroup.core.units import format_flops, parse_flops
from evogroup.finalists.records import Finalists
from evogroup.finalists.stage import finalists
from evogroup.rundir.layout import RunLayout
from evogroup.runs.baselines import random_search, uniform

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
    "Finalists",
    "EvogroupError",
    "Fitness",
    "Genome",
    "InfeasibleBudgetError",
    "InvalidGenomeError",
    "InvalidValueError",
    "IterationStats",
    "Layer",
    "OptionError",
    "PluginError",
    "Problem",
    "Run",
    "RunLayout",
    "SearchResult",
    "SearchSettings",
    "SearchSpace",
    "Strategy",
    "StrategyOptions",
    "TrainResult",
    "divisors",
    "Front",
    "finalists",
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
