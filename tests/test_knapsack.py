"""The knapsack DP, the uniform sampler, the exact range search and the within-range operators."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from evogroup import CostTable, Problem, SearchSpace
from evogroup.core.knapsack import Grid, UniformSampler, best_genome, find_in_range
from evogroup.strategies.bounded import FeasibleSampler, crossover_within, mutate_within
from evogroup.testing import cost_tables, genomes, search_spaces

seeds = st.integers(0, 2**32 - 1)


@st.composite
def ranges(draw):
    """A small space, its cost table and a range ``lo <= hi`` (possibly empty of genomes)."""
    space = draw(search_spaces(max_layers=4, max_channels=24))
    table = draw(cost_tables(space, max_cost=1000))
    lo = draw(st.floats(0, table.max_cost))
    hi = draw(st.floats(lo, table.max_cost + 1))
    return space, table, lo, hi


def inside(space, table, lo, hi):
    everything = itertools.product(*(layer.choices for layer in space.layers))
    return [g for g in everything if lo <= table(g) <= hi]


@given(ranges(), seeds)
def test_best_genome_is_the_exact_optimum_of_an_additive_score(case, seed):
    space, table, lo, hi = case
    rng = random.Random(seed)
    values = [[rng.random() for _ in layer.choices] for layer in space.layers]
    score = lambda g: sum(v[layer.choices.index(x)] for v, layer, x in zip(values, space.layers, g))  # noqa: E731
    feasible = inside(space, table, lo, hi)
    grid = Grid.build(table, space, lo, hi)
    found = best_genome(grid, values)
    assert found is None or found in feasible
    # Only a genome within rounding distance of a bound can beat it (or be missed).
    near = len(space.layers) * grid.width
    floor = -float("inf") if found is None else score(found) + 1e-9
    for g in feasible:
        if score(g) > floor:
            assert min(table(g) - lo, hi - table(g)) <= near


@given(ranges(), seeds)
def test_find_in_range_is_exact(case, seed):
    space, table, lo, hi = case
    found = find_in_range(table, space, lo, hi, random.Random(seed))
    feasible = inside(space, table, lo, hi)
    assert (found is None) == (not feasible)
    assert found is None or found in feasible


@given(ranges(), seeds)
def test_uniform_sampler_draws_only_genomes_in_range(case, seed):
    space, table, lo, hi = case
    genome = UniformSampler(Grid.build(table, space, lo, hi)).sample(random.Random(seed))
    assert genome is None or genome in inside(space, table, lo, hi)


def test_uniform_sampler_is_uniform_on_a_small_space():
    from evogroup import CostTable, SearchSpace

    space = SearchSpace.from_channels([4, 4, 4])
    table = CostTable([{1: 4.0, 2: 2.0, 4: 1.0}] * 3)
    feasible = inside(space, table, 4.0, 7.0)
    sampler, rng = UniformSampler(Grid.build(table, space, 4.0, 7.0)), random.Random(0)
    counts = {g: 0 for g in feasible}
    for _ in range(300 * len(feasible)):
        counts[sampler.sample(rng)] += 1
    assert min(counts.values()) > 200 and max(counts.values()) < 400  # 300 expected each


@given(ranges(), seeds, st.floats(0, 1))
def test_within_range_operators_keep_children_in_range(case, seed, prob):
    space, table, lo, hi = case
    feasible = inside(space, table, lo, hi)
    if not feasible:
        return
    problem = Problem(space, sum, table, max(hi, 1e-9), min(lo, max(hi, 1e-9)))
    rng = random.Random(seed)
    a, b = rng.choice(feasible), rng.choice(feasible)
    for child in (mutate_within(a, problem, rng, prob), crossover_within(a, b, problem, rng)):
        assert problem.space.validate(child) == child and problem.feasible(child)
    assert all(c in (x, y) for c, x, y in zip(crossover_within(a, b, problem, rng), a, b))
    assert problem.feasible(FeasibleSampler(problem)(rng))


@given(st.data(), seeds)
def test_mutation_within_range_with_zero_probability_changes_nothing(data, seed):
    space = data.draw(search_spaces())
    table = data.draw(cost_tables(space))
    genome = data.draw(genomes(space))
    problem = Problem(space, sum, table, table.max_cost)
    assert mutate_within(genome, problem, random.Random(seed), 0.0) == genome


def test_a_range_far_narrower_than_the_table_keeps_its_bucket_counts_finite():
    space = SearchSpace.from_channels([2])
    table = CostTable([{1: 2.0, 2: 1.0}], constant=1184.0)  # costs 1186 and 1185
    grid = Grid.build(table, space, 0.0, 1185.0000000000002)  # a rounding error above 1185
    assert grid.buckets[0].max() <= grid.high + 1
    assert best_genome(grid, [[1.0, 0.0]]) == (2,)
    assert UniformSampler(grid).sample(random.Random(0)) == (2,)
