"""Hypothesis strategies: search spaces, genomes, cost tables, budgets and whole problems."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import strategies as st

from evogroup.core.cost import CostTable
from evogroup.core.problem import Fitness, Problem
from evogroup.core.space import Genome, Layer, SearchSpace, divisors


def log_groups_fitness(genome: Genome) -> float:
    """A picklable toy fitness: fewer groups score higher, as accuracy tends to."""
    return -sum(math.log2(g) for g in genome)


@st.composite
def layers(draw: Callable, name: str = "layer0", max_channels: int = 64) -> Layer:
    """A layer of a ``C -> C`` conv or a ``C_in -> C_out`` conv, its choices sometimes clipped.

    The channel counts share a random factor, so that pairs have more than one choice.
    """
    common = draw(st.integers(1, max_channels))
    a = draw(st.integers(1, max_channels // common))
    b = draw(st.one_of(st.just(a), st.integers(1, max_channels // common)))
    cin, cout = common * a, common * b
    if draw(st.booleans()):
        return Layer.from_channels(name, cin, cout)
    kept = draw(st.sampled_from(divisors(math.gcd(cin, cout))))  # one choice always survives
    min_groups = draw(st.none() | st.integers(1, kept))
    max_groups = draw(st.none() | st.integers(kept, 2 * max_channels))
    return Layer.from_channels(name, cin, cout, min_groups=min_groups, max_groups=max_groups)


@st.composite
def search_spaces(
    draw: Callable, *, min_layers: int = 1, max_layers: int = 6, max_channels: int = 64
) -> SearchSpace:
    """A :class:`SearchSpace` of ``min_layers`` to ``max_layers`` layers (see :func:`layers`)."""
    n = draw(st.integers(min_layers, max_layers))
    return SearchSpace(tuple(draw(layers(f"layer{i}", max_channels)) for i in range(n)))


def genomes(space: SearchSpace) -> st.SearchStrategy[Genome]:
    """Valid genomes of ``space``: one admissible group count per layer."""
    return st.tuples(*(st.sampled_from(layer.choices) for layer in space.layers))


@st.composite
def cost_tables(
    draw: Callable, space: SearchSpace, *, monotone: bool = True, max_cost: int = 10**6
) -> CostTable:
    """A :class:`CostTable` of ``space`` with positive, integer-valued costs.

    Integer values keep every sum exact. With ``monotone`` (the default) the cost of each
    layer does not increase with its group count, as real FLOPs do; otherwise it is arbitrary.
    """
    rows = []
    for layer in space.layers:
        n = len(layer.choices)
        costs = draw(st.lists(st.integers(1, max_cost), min_size=n, max_size=n))
        if monotone:
            costs.sort(reverse=True)
        rows.append({g: float(c) for g, c in zip(layer.choices, costs)})
    return CostTable(rows, constant=float(draw(st.integers(0, max_cost))))


def budgets(table: CostTable, *, feasible: bool = True) -> st.SearchStrategy[float]:
    """Budgets in ``[min_cost, max_cost]`` (ends included), or in ``(0, min_cost)`` if not ``feasible``."""
    low, high = table.min_cost, table.max_cost
    if feasible:
        return st.sampled_from([low, high]) | st.floats(low, high)
    if low <= 0:
        raise ValueError(f"min_cost > 0 must hold for an infeasible budget, but got {low}")
    return st.floats(0, low, exclude_min=True, exclude_max=True)


@st.composite
def problems(
    draw: Callable,
    *,
    max_layers: int = 6,
    max_channels: int = 64,
    monotone: bool = True,
    fitness: Fitness = log_groups_fitness,
) -> Problem:
    """A :class:`Problem` on a random space and cost table with a feasible budget."""
    space = draw(search_spaces(max_layers=max_layers, max_channels=max_channels))
    table = draw(cost_tables(space, monotone=monotone))
    return Problem(space, fitness, table, draw(budgets(table)))
