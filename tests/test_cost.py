"""CostTable: exact sums, min/max genomes, space checks, JSON; Problem validation."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evogroup import CostTable, Problem, SearchSpace
from evogroup.testing import cost_tables, genomes, search_spaces

small_spaces = search_spaces(max_layers=4, max_channels=24)


@given(st.data())
def test_cost_is_the_constant_plus_the_layer_costs(data):
    space = data.draw(search_spaces())
    table = data.draw(cost_tables(space, monotone=False))
    genome = data.draw(genomes(space))
    expected = table.constant + sum(row[g] for row, g in zip(table.table, genome))
    assert table(genome) == expected
    assert sum(table.breakdown(genome)) == expected - table.constant


@given(st.data())
def test_min_and_max_genomes_are_the_extremes(data):
    space = data.draw(small_spaces)
    assume(space.size <= 2000)
    table = data.draw(cost_tables(space, monotone=data.draw(st.booleans())))
    costs = [table(g) for g in itertools.product(*(layer.choices for layer in space.layers))]
    assert table.min_cost == min(costs)
    assert table.max_cost == max(costs)


def test_min_genome_prefers_the_larger_group_count_on_ties():
    table = CostTable([{1: 4.0, 2: 1.0, 4: 1.0}])
    assert table.min_genome() == (4,)
    assert table.max_genome() == (1,)


@given(st.data())
def test_json_round_trip(data):
    table = data.draw(cost_tables(data.draw(search_spaces()), monotone=False))
    again = CostTable.from_json(json.loads(json.dumps(table.to_json())))
    assert again == table
    assert again != CostTable(table.table, table.constant + 1)


@given(st.data())
def test_a_table_built_for_a_space_passes_its_check(data):
    space = data.draw(search_spaces())
    data.draw(cost_tables(space)).check_space(space)


def test_check_space_names_the_layer_and_its_choices():
    space = SearchSpace.from_channels([4, 2], names=["dw", "pw"])
    with pytest.raises(ValueError, match=r"one row per layer \(2\), but has 1"):
        CostTable([{1: 1.0, 2: 1.0, 4: 1.0}]).check_space(space)
    with pytest.raises(
        ValueError, match=r"layer 'pw' must cover its choices \[1, 2\], but covers \[1\]"
    ):
        CostTable([{1: 1.0, 2: 1.0, 4: 1.0}, {1: 1.0}]).check_space(space)


@pytest.mark.parametrize("table", [[], [{1: 1.0}, {}]])
def test_empty_tables_are_refused(table):
    with pytest.raises(ValueError, match="at least one layer, each with at least one choice"):
        CostTable(table)


@pytest.fixture
def space():
    return SearchSpace.from_channels([4, 2], names=["dw", "pw"])


def test_problem_checks_its_cost_table(space):
    with pytest.raises(ValueError, match="layer 'pw' must cover its choices"):
        Problem(space, sum, CostTable([{1: 1.0, 2: 1.0, 4: 1.0}, {2: 1.0}]), budget=3)


@pytest.mark.parametrize("budget", [0, -1.0, math.nan, math.inf])
def test_problem_needs_a_positive_finite_budget(space, budget):
    with pytest.raises(ValueError, match=r"budget > 0 must hold, but got budget="):
        Problem(space, sum, sum, budget)


def test_problem_needs_a_space_and_callables(space):
    with pytest.raises(TypeError, match="space must be a SearchSpace, but got list"):
        Problem([4, 2], sum, sum, 1.0)
    with pytest.raises(TypeError, match="fitness and cost must be callables"):
        Problem(space, 0.5, sum, 1.0)


def test_problem_feasibility_is_cost_within_budget(space):
    problem = Problem(space, sum, sum, budget=5)
    assert problem.budget == 5.0 and isinstance(problem.budget, float)
    assert problem.feasible((4, 1)) and not problem.feasible((4, 2))
