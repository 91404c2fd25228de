"""Baselines: random search under the budget, and uniform group counts."""

from __future__ import annotations

import pytest

from evogroup import InfeasibleBudgetError, Problem
from evogroup.runs.baselines import random_search, uniform
from tests.helpers import strip_timing


def test_random_search_evaluates_distinct_feasible_genomes(synthetic_problem):
    result = random_search(synthetic_problem, evaluations=200, seed=1)
    genomes = [e.genome for e in result.history]
    assert result.evaluations == len(set(genomes)) == 200
    assert all(e.cost <= synthetic_problem.budget for e in result.history)
    assert result.best == max(result.history, key=lambda e: e.fitness)


def test_random_search_is_deterministic_by_seed(synthetic_problem):
    first = random_search(synthetic_problem, evaluations=30, seed=1)
    same = random_search(synthetic_problem, evaluations=30, seed=1)
    other = random_search(synthetic_problem, evaluations=30, seed=2)
    assert strip_timing(same) == strip_timing(first)
    assert [e.genome for e in other.history] != [e.genome for e in first.history]


def test_random_search_stops_when_the_space_runs_out(tiny_problem):
    result = random_search(tiny_problem, evaluations=100)
    assert sorted(e.genome for e in result.history) == [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2)]


def test_random_search_records_its_settings(tiny_problem):
    result = random_search(tiny_problem, evaluations=3, seed=9)
    settings = result.settings
    assert (settings["strategy"], settings["evaluations"], settings["seed"]) == ("random", 3, 9)
    assert len(result.iterations) == 1 and result.iterations[0].evaluated == 3


@pytest.mark.parametrize("evaluations", [0, -1])
def test_random_search_needs_an_evaluation(tiny_problem, evaluations):
    with pytest.raises(
        ValueError, match=f"evaluations >= 1 must hold, but got evaluations={evaluations}"
    ):
        random_search(tiny_problem, evaluations)


def test_random_search_refuses_an_infeasible_budget(tiny_problem):
    problem = Problem(tiny_problem.space, tiny_problem.fitness, tiny_problem.cost, budget=1.0)
    with pytest.raises(InfeasibleBudgetError, match="below the smallest reachable cost"):
        random_search(problem, 5)


def test_uniform_clips_each_layer(synthetic_problem):
    evaluation = uniform(synthetic_problem, 64)
    assert evaluation.genome[:2] == (32, 32)  # block1: 32 -> 64, so at most 32 groups
    assert evaluation.genome == synthetic_problem.space.uniform(64)
    assert evaluation.fitness == synthetic_problem.fitness(evaluation.genome)
    assert evaluation.cost == synthetic_problem.cost(evaluation.genome)


def test_uniform_does_not_enforce_the_budget(synthetic_problem):
    evaluation = uniform(synthetic_problem, 1)
    assert evaluation.genome == (1,) * len(synthetic_problem.space)
    assert evaluation.cost > synthetic_problem.budget
    assert evaluation.ok
