"""Random one- and two-gene neighbours within the budget range (``guided``'s local search)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evogroup import CostTable, Problem, SearchSpace
from evogroup.strategies.guided.neighbours import Neighbours
from evogroup.testing import cost_tables, genomes, search_spaces


@st.composite
def elites(draw, opaque_cost: bool = False):
    """A problem, up to three genomes within its range, and some genomes already taken."""
    space = draw(search_spaces(max_layers=6))
    table = draw(cost_tables(space))
    elite = draw(st.lists(genomes(space), min_size=1, max_size=3))
    costs = sorted(table(g) for g in elite)
    budget = draw(st.floats(costs[-1], table.max_cost))
    cost = (lambda g: table(g)) if opaque_cost else table
    problem = Problem(space, sum, cost, budget, draw(st.floats(0, costs[0])))
    taken = set(draw(st.lists(genomes(space), max_size=5)))
    return problem, elite, taken


def check(problem, elite, taken, found, count):
    assert len(found) == len(set(found)) <= count
    for genome in found:
        assert problem.space.validate(genome) == genome and genome not in taken
        assert problem.feasible(genome)
        assert min(sum(a != b for a, b in zip(genome, e)) for e in elite) in (1, 2)


@given(elites(), st.integers(0, 30), st.integers(0, 10**6))
def test_neighbours_are_distinct_new_within_range_and_one_or_two_genes_away(case, count, seed):
    problem, elite, taken = case
    found = Neighbours(problem).draw(elite, count, taken, 10 * count, random.Random(seed))
    check(problem, elite, taken, found, count)


@given(elites(opaque_cost=True), st.integers(0, 30), st.integers(0, 10**6))
def test_a_plain_callable_cost_is_checked_genome_by_genome(case, count, seed):
    problem, elite, taken = case
    found = Neighbours(problem).draw(elite, count, taken, 10 * count, random.Random(seed))
    check(problem, elite, taken, found, count)


def test_the_same_generator_state_draws_the_same_neighbours():
    space = SearchSpace.from_channels([16, 16, 8, 8])
    problem = Problem(
        space,
        sum,
        CostTable(
            [{g: 16 / g for g in (1, 2, 4, 8, 16)}] * 2 + [{g: 8 / g for g in (1, 2, 4, 8)}] * 2
        ),
        30.0,
    )
    draws = [
        Neighbours(problem).draw([(2, 2, 2, 2)], 20, set(), 200, random.Random(7)) for _ in "ab"
    ]
    assert draws[0] == draws[1] and len(draws[0]) == 20
    assert all(isinstance(g, int) for genome in draws[0] for g in genome)


def test_the_whole_neighbourhood_is_found_when_asked_for_more():
    space = SearchSpace.from_channels([4, 4, 4])  # 3 choices per layer
    problem = Problem(space, sum, CostTable([{1: 4.0, 2: 2.0, 4: 1.0}] * 3), 100.0)
    found = Neighbours(problem).draw([(2, 2, 2)], 100, set(), 5000, random.Random(0))
    assert len(found) == 3 * 2 + 3 * 2 * 2  # one gene changed, or two


def test_table_costs_summed_in_bulk_equal_the_table_bit_for_bit():
    rng = random.Random(3)
    space = SearchSpace.from_channels([12, 12, 12, 12, 12])
    table = CostTable(
        [{g: rng.uniform(0, 1e7) / 3 for g in layer.choices} for layer in space.layers],
        constant=rng.uniform(0, 1e6) / 7,
    )
    every = [tuple(rng.choice(layer.choices) for layer in space.layers) for _ in range(500)]
    budget = sorted(table(g) for g in every)[250]  # a genome's cost exactly
    problem = Problem(space, sum, table, budget)
    near = Neighbours(problem)
    rows = np.array([[near.index[i][g] for i, g in enumerate(G)] for G in every])
    assert set(near._in_range(rows)) == {g for g in every if problem.feasible(g)}
