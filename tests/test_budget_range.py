"""Budget ranges: Problem(budget_min=...), repair into the range, clear errors, checkpoint identity."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup import CheckpointError, CostTable, InfeasibleBudgetError, Problem, SearchSpace
from evogroup.core.loop import search
from evogroup.core.operators import check_feasible, repair
from evogroup.testing import cost_tables, genomes, search_spaces


def test_budget_min_must_lie_in_zero_to_budget(tiny_problem):
    for low in (-1.0, 11.0):
        with pytest.raises(ValueError, match=r"0 <= budget_min <= budget must hold, but got"):
            replace(tiny_problem, budget_min=low)


def test_feasible_means_within_both_bounds(tiny_problem):
    ranged = replace(tiny_problem, budget_min=6.0)  # costs: (4,1)=6, (4,2)=4, (2,2)=6, (1,2)=10
    assert ranged.feasible((4, 1)) and ranged.feasible((1, 2))
    assert not ranged.feasible((4, 2)) and not ranged.feasible((1, 1))


@given(st.data(), st.integers(0, 2**32 - 1) | st.none())
def test_repair_lands_in_the_range_and_is_idempotent(data, seed):
    space = data.draw(search_spaces(max_layers=5))
    table = data.draw(cost_tables(space))
    target = table(data.draw(genomes(space)))
    problem = Problem(space, sum, table, target, budget_min=target)  # a one-cost range
    rng = None if seed is None else random.Random(seed)
    try:
        fixed = repair(data.draw(genomes(space)), problem, rng)
    except InfeasibleBudgetError as exc:  # greedy moves can miss a one-point range
        assert "repair could not bring the cost" in str(exc)
    else:
        assert problem.feasible(fixed) and repair(fixed, problem, rng) == fixed


@given(st.data())
def test_repair_raises_cheap_genomes_into_a_wide_range(data):
    space = data.draw(search_spaces(max_layers=5))
    table = data.draw(cost_tables(space))
    problem = Problem(
        space, sum, table, table.max_cost, budget_min=(table.min_cost + table.max_cost) / 2
    )
    fixed = repair(table.min_genome(), problem, random.Random(0))
    assert problem.feasible(fixed)
    assert all(after <= before for after, before in zip(fixed, table.min_genome()))


def test_an_empty_range_names_the_cheapest_and_dearest_genome():
    space = SearchSpace.from_channels([2, 2])
    table = CostTable([{1: 10.0, 2: 1.0}, {1: 10.0, 2: 1.0}])  # costs 2, 11, 20
    for low, high in ((21.0, 30.0), (12.0, 19.0)):
        problem = Problem(space, sum, table, high, budget_min=low)
        message = re.escape(
            f"no genome costs within [budget_min, budget] = [{low:g}, {high:g}]: the cheapest"
            " genome [2, 2] costs 2, the most expensive [1, 1] costs 20"
        )
        with pytest.raises(InfeasibleBudgetError, match=message):
            check_feasible(problem)
        with pytest.raises(InfeasibleBudgetError, match=message):
            search(problem)


def test_search_respects_both_bounds(synthetic_problem):
    ranged = replace(synthetic_problem, budget_min=0.7e8)
    for strategy in ("guided", "paper", "nsga2"):
        result = search(ranged, population=10, iterations=3, strategy=strategy)
        assert all(0.7e8 <= e.cost <= 0.8e8 for e in result.history)


def test_checkpoint_of_another_budget_min_is_refused(synthetic_problem, tmp_path):
    files = {"checkpoint": tmp_path / "checkpoint.json", "log": tmp_path / "evaluations.jsonl"}
    search(synthetic_problem, population=6, iterations=1, **files)
    with pytest.raises(
        CheckpointError, match=r"its budget_min is 0\.0, this search's is 70000000\.0"
    ):
        search(replace(synthetic_problem, budget_min=0.7e8), population=6, iterations=1, **files)
