"""A second constraint (e.g. latency beside FLOPs): every operator keeps both bounds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evogroup.core.cost import CostTable
from evogroup.core.errors import InfeasibleBudgetError
from evogroup.core.knapsack import Grid, best_genome_bounded, find_in_range
from evogroup.core.operators import check_feasible, repair, sample, violation
from evogroup.core.problem import Limit, Problem
from evogroup.core.space import SearchSpace
from evogroup.strategies.bounded import FeasibleSampler, crossover_within, mutate_within
from evogroup.strategies.guided.planning import Planner

CHANNELS = [16, 32, 32, 64, 64]


def _tables(seed: int) -> tuple[SearchSpace, CostTable, CostTable]:
    """FLOPs that fall with groups, and a latency that bottoms out at a middle group count
    (as measured on CPUs: past ~16 groups a conv gets slower again)."""
    space = SearchSpace.from_channels(CHANNELS)
    rng = random.Random(seed)
    flops, latency = [], []
    for layer, c in zip(space.layers, CHANNELS):
        flops.append({g: c * c / g for g in layer.choices})
        best = rng.choice(layer.choices[1:])
        latency.append(
            {
                g: 0.1 + abs(g.bit_length() - best.bit_length()) * rng.uniform(0.05, 0.3)
                for g in layer.choices
            }
        )
    return space, CostTable(flops, 50.0), CostTable(latency, 1.0)


def _problem(seed: int, flop_share: float, ms_share: float) -> Problem:
    space, flops, latency = _tables(seed)
    budget = flops.min_cost + flop_share * (flops.max_cost - flops.min_cost)
    ms = latency.min_cost + ms_share * (latency.max_cost - latency.min_cost)
    return Problem(space, lambda g: -sum(g), flops, budget, limits=(Limit(latency, ms, "latency"),))


shares = st.floats(0.05, 0.9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), a=shares, b=shares)
def test_every_operator_keeps_both_bounds(seed: int, a: float, b: float) -> None:
    problem = _problem(seed, a, b)
    try:
        check_feasible(problem)
    except InfeasibleBudgetError:
        assert (
            find_in_range(
                problem.cost,
                problem.space,
                0.0,
                problem.budget,
                bounds=[(problem.limits[0].cost, problem.limits[0].budget)],
                limit=10**7,
            )
            is None
        )
        return
    rng = random.Random(seed)
    sampler = FeasibleSampler(problem)
    parents = [sampler(rng) for _ in range(4)]
    assert all(problem.feasible(g) for g in parents)
    for _ in range(10):
        assert problem.feasible(mutate_within(rng.choice(parents), problem, rng, 0.5))
        assert problem.feasible(crossover_within(*rng.sample(parents, 2), problem, rng))
        fixed = repair(sample(problem.space, rng), problem, rng)
        assert problem.feasible(fixed) and violation(problem, fixed) == 0
        assert repair(fixed, problem, rng) == fixed
    planned = Planner(problem).best(
        [[float(g) for g in layer.choices] for layer in problem.space.layers]
    )
    assert planned is not None and problem.feasible(planned)


def test_the_plan_under_a_second_constraint_is_the_constrained_optimum() -> None:
    problem = _problem(3, 0.5, 0.3)
    values = [[float(g % 7) for g in layer.choices] for layer in problem.space.layers]
    grid = Grid.build(problem.cost, problem.space, 0.0, problem.budget)
    planned = best_genome_bounded(grid, values, problem.limits[0].cost, problem.feasible)
    everything = _all_genomes(problem.space)

    def score(g):
        return sum(
            v[layer.choices.index(x)] for v, layer, x in zip(values, problem.space.layers, g)
        )

    best = max(score(g) for g in everything if problem.feasible(g))
    assert problem.feasible(planned)
    assert score(planned) >= best - 3  # Lagrangian: optimal up to the duality gap


def _all_genomes(space: SearchSpace) -> list[tuple[int, ...]]:
    import itertools

    return list(itertools.product(*(layer.choices for layer in space.layers)))


def test_a_latency_budget_below_the_fastest_genome_names_it() -> None:
    space, flops, latency = _tables(0)
    problem = Problem(
        space,
        sum,
        flops,
        flops.max_cost,
        limits=(Limit(latency, latency.min_cost * 0.9, "latency (ms)"),),
    )
    with pytest.raises(InfeasibleBudgetError, match=r"below the least latency \(ms\)") as info:
        check_feasible(problem)
    assert str(list(latency.min_genome())) in str(info.value)


def test_two_bounds_that_only_clash_together_are_refused() -> None:
    space, flops, latency = _tables(1)
    fastest = latency.min_genome()
    # a FLOP budget below the fastest genome's FLOPs, a latency budget just above its latency:
    # each alone is feasible, together perhaps not; the check agrees with an exhaustive scan
    problem = Problem(
        space,
        sum,
        flops,
        flops(fastest) * 0.5,
        limits=(Limit(latency, latency.min_cost * 1.01, "latency"),),
    )
    exists = any(problem.feasible(g) for g in _all_genomes(space))
    if exists:
        check_feasible(problem)
    else:
        with pytest.raises(InfeasibleBudgetError, match="and under latency"):
            check_feasible(problem)


def test_limits_are_checked_against_the_space() -> None:
    space, flops, latency = _tables(0)
    with pytest.raises(ValueError, match="budget > 0"):
        Limit(latency, 0.0)
    with pytest.raises(ValueError, match="one row per layer"):
        Problem(space, sum, flops, 1e9, limits=(Limit(CostTable([{1: 1.0}]), 1.0),))


@pytest.mark.parametrize("strategy", ["guided", "paper", "nsga2"])
def test_every_evaluated_genome_satisfies_both_constraints(strategy: str, tmp_path) -> None:
    from evogroup.core.loop import search
    from evogroup.rundir.layout import RunLayout
    from evogroup.runs.front_files import save_front

    problem = _problem(7, 0.4, 0.35)
    limit = problem.limits[0]
    options = {"constraint": "repair"} if strategy == "paper" else {}
    result = search(
        problem,
        population=8,
        top_k=3,
        crossovers=4,
        mutations=4,
        iterations=3,
        seed=0,
        strategy=strategy,
        strategy_options=options,
    )
    assert result.history and all(problem.feasible(e.genome) for e in result.history)
    assert all(limit.cost(e.genome) <= limit.budget for e in result.history)
    layout = RunLayout(tmp_path)
    save_front(result, layout, "FLOPs", {"flops": problem.cost, "latency_ms": limit.cost})
    header, *rows = layout.pareto_csv.read_text().splitlines()
    assert header == "cost,flops,latency_ms,fitness,iteration,genome" and rows
