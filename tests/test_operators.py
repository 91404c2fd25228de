"""Genetic operators: genes stay valid choices, repair is feasible, idempotent and minimal."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup import CostTable, InfeasibleBudgetError, Problem, SearchSpace, format_flops
from evogroup.core.operators import (
    check_feasible,
    crossover,
    min_cost_genome,
    mutate,
    repair,
    sample,
    sample_feasible,
)
from evogroup.testing import budgets, cost_tables, genomes, problems, search_spaces

seeds = st.integers(0, 2**32 - 1)
rngs = st.one_of(st.none(), seeds.map(random.Random))  # None: repair's greedy mode


@given(search_spaces(), seeds)
def test_sample_draws_valid_genomes(space, seed):
    genome = sample(space, random.Random(seed))
    assert space.validate(genome) == genome


@given(st.data(), seeds)
def test_crossover_takes_each_gene_from_a_parent(data, seed):
    space = data.draw(search_spaces())
    a, b = data.draw(genomes(space)), data.draw(genomes(space))
    child = crossover(a, b, random.Random(seed))
    assert all(c in (x, y) for c, x, y in zip(child, a, b))
    assert space.validate(child) == child


@given(st.data(), seeds, st.floats(0, 1))
def test_mutation_keeps_genes_valid(data, seed, prob):
    space = data.draw(search_spaces())
    genome = data.draw(genomes(space))
    child = mutate(genome, space, random.Random(seed), prob)
    assert space.validate(child) == child


@given(st.data(), seeds)
def test_mutation_with_zero_probability_changes_nothing(data, seed):
    space = data.draw(search_spaces())
    genome = data.draw(genomes(space))
    assert mutate(genome, space, random.Random(seed), 0.0) == genome


@given(st.data(), seeds)
def test_operators_are_reproducible_by_seed(data, seed):
    problem = data.draw(problems())
    a, b = data.draw(genomes(problem.space)), data.draw(genomes(problem.space))

    def draws(rng):
        return sample_feasible(problem, rng), crossover(a, b, rng), mutate(a, problem.space, rng)

    assert draws(random.Random(seed)) == draws(random.Random(seed))


@given(st.data(), rngs)
def test_repair_gives_a_valid_genome_within_budget(data, rng):
    problem = data.draw(problems())
    genome = data.draw(genomes(problem.space))
    fixed = repair(genome, problem, rng)
    assert problem.space.validate(fixed) == fixed
    assert problem.cost(fixed) <= problem.budget


@given(st.data(), rngs)
def test_repair_only_moves_genes_to_larger_group_counts(data, rng):
    problem = data.draw(problems())
    genome = data.draw(genomes(problem.space))
    assert all(after >= before for after, before in zip(repair(genome, problem, rng), genome))


@given(st.data(), rngs)
def test_repair_is_idempotent(data, rng):
    problem = data.draw(problems())
    once = repair(data.draw(genomes(problem.space)), problem, rng)
    assert repair(once, problem, rng) == once


@given(st.data(), rngs)
def test_repair_leaves_a_feasible_genome_alone(data, rng):
    space = data.draw(search_spaces())
    table = data.draw(cost_tables(space))
    genome = data.draw(genomes(space))
    budget = data.draw(st.floats(table(genome), table.max_cost + 1))
    assert repair(genome, Problem(space, sum, table, budget), rng) == genome


@given(st.data(), rngs)
def test_repair_with_a_plain_callable_cost(data, rng):
    problem = data.draw(problems())
    table = problem.cost
    opaque = Problem(problem.space, problem.fitness, lambda g: table(g), problem.budget)
    fixed = repair(data.draw(genomes(problem.space)), opaque, rng)
    assert table(fixed) <= problem.budget


@given(st.data(), seeds)
def test_repair_of_arbitrary_costs_is_feasible_or_says_why(data, seed):
    """With costs that may rise with the group count, moving genes up can get stuck."""
    problem = data.draw(problems(monotone=False))
    genome = data.draw(genomes(problem.space))
    try:
        fixed = repair(genome, problem, random.Random(seed))
    except InfeasibleBudgetError as exc:
        assert "repair could not bring the cost" in str(exc)
        assert problem.cost(exc.genome) > problem.budget
    else:
        assert problem.cost(fixed) <= problem.budget


@given(problems(), seeds)
def test_sample_feasible_is_within_budget(problem, seed):
    genome = sample_feasible(problem, random.Random(seed))
    assert problem.space.validate(genome) == genome
    assert problem.feasible(genome)


@given(st.data())
def test_budget_below_the_min_cost_is_infeasible(data):
    space = data.draw(search_spaces())
    table = data.draw(cost_tables(space))
    problem = Problem(space, sum, table, data.draw(budgets(table, feasible=False)))
    genome = data.draw(genomes(space))
    expected = re.escape(f"is below the smallest reachable cost {format_flops(table.min_cost)}")
    for call in (lambda: check_feasible(problem), lambda: repair(genome, problem)):
        with pytest.raises(InfeasibleBudgetError, match=expected) as info:
            call()
        assert info.value.min_cost == table.min_cost
        assert info.value.genome == table.min_genome()
        assert info.value.budget == problem.budget


def test_infeasible_message_names_costs_of_any_scale():
    space = SearchSpace.from_channels([16, 16, 32])
    table = CostTable([{g: 100 / g for g in layer.choices} for layer in space.layers])
    with pytest.raises(
        InfeasibleBudgetError, match=r"budget 5 is below .* cost 15.625 \(genome \[16, 16, 32\]\)"
    ):
        check_feasible(Problem(space, sum, table, budget=5))


def test_min_cost_genome_without_a_table_takes_the_largest_counts():
    space = SearchSpace.from_channels([4, 6])
    assert min_cost_genome(Problem(space, sum, lambda g: 1.0, 1.0)) == (4, 6)


def test_greedy_repair_takes_the_biggest_saving_first():
    space = SearchSpace.from_channels([4, 4], names=["a", "b"])
    table = CostTable([{1: 10.0, 2: 9.0, 4: 8.0}, {1: 10.0, 2: 2.0, 4: 1.0}])
    assert repair((1, 1), Problem(space, sum, table, budget=19.0)) == (1, 4)
