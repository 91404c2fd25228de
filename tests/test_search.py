"""The evolutionary search (Algorithm 1): determinism, no re-evaluation, feasibility, failures."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from evogroup import EvogroupError, InfeasibleBudgetError, Problem, SearchResult
from evogroup.core.loop import search
from evogroup.strategies.guided.denoise import denoised
from tests.helpers import strip_timing

SMALL = dict(population=10, top_k=4, crossovers=5, mutations=5, iterations=3)


def genomes_of(result):
    return [e.genome for e in result.history]


def test_same_seed_same_result(synthetic_problem):
    first = search(synthetic_problem, **SMALL, seed=7)
    assert strip_timing(search(synthetic_problem, **SMALL, seed=7)) == strip_timing(first)


def test_different_seed_different_result(synthetic_problem):
    first = search(synthetic_problem, **SMALL, seed=7)
    assert genomes_of(search(synthetic_problem, **SMALL, seed=8)) != genomes_of(first)


def test_no_genome_is_evaluated_twice(synthetic_problem):
    result = search(synthetic_problem, population=20, crossovers=10, mutations=10, iterations=8)
    assert len(set(genomes_of(result))) == result.evaluations


def test_every_evaluated_genome_is_feasible(synthetic_problem):
    result = search(synthetic_problem, **SMALL)
    assert max(e.cost for e in result.history) <= synthetic_problem.budget


@pytest.mark.parametrize("strategy", ["paper", "nsga2"])
def test_best_is_feasible_and_fittest_of_the_history(synthetic_problem, strategy):
    result = search(synthetic_problem, **SMALL, strategy=strategy)
    assert result.best.cost <= synthetic_problem.budget
    assert result.best == max(result.history, key=lambda e: e.fitness)
    assert result.top(1) == [result.best]


def test_guided_recommends_the_best_denoised_estimate(synthetic_problem):
    result = search(synthetic_problem, **SMALL)
    assert result.best.cost <= synthetic_problem.budget
    assert result.best == denoised(result.history, synthetic_problem.space)[0][1]


def test_evaluation_count_on_a_large_space(synthetic_problem):
    sizes = dict(population=12, crossovers=7, mutations=4, iterations=5)
    guided = search(synthetic_problem, **sizes)  # its own schedule: 13, then batches of 10
    assert guided.evaluations == 12 + 5 * (7 + 4) == guided.settings["evaluations"]
    assert [s.evaluated for s in guided.iterations] == [13] + [10] * 5 + [4]
    result = search(synthetic_problem, strategy="paper", **sizes)
    assert result.evaluations == 12 + 5 * (7 + 4)
    assert [s.iteration for s in result.iterations] == list(range(6))
    assert [s.evaluated for s in result.iterations] == [12] + [11] * 5
    assert [e.iteration for e in result.history] == [0] * 12 + [
        i for i in range(1, 6) for _ in range(11)
    ]


def test_best_fitness_never_decreases(synthetic_problem):
    result = search(synthetic_problem, **SMALL)
    best = [s.best_fitness for s in result.iterations]
    assert best == sorted(best)
    assert best[-1] == max(e.fitness for e in result.history)


def test_tiny_space_is_exhausted_and_the_search_stops(tiny_problem):
    result = search(tiny_problem, population=50, iterations=20)
    assert sorted(genomes_of(result)) == [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2)]
    assert len(result.iterations) < 21
    assert result.best.genome == (4, 2)


def flaky(genome):
    if genome[0] == 1:
        raise ValueError("boom")
    if genome[0] == 2:
        return math.nan
    return float(sum(genome))


def test_failed_evaluations_are_recorded_and_never_selected(tiny_problem):
    result = search(replace(tiny_problem, fitness=flaky), population=50)
    errors = {e.genome: e.error for e in result.history if not e.ok}
    assert set(errors) == {(1, 2), (2, 1), (2, 2)}
    assert errors[(1, 2)].startswith("ValueError: boom at ")
    assert errors[(2, 1)] == "fitness returned nan"
    assert result.best.genome == (4, 2)
    assert sum(s.failed for s in result.iterations) == 3


def test_failures_lose_to_any_success(synthetic_problem):
    fail_most = lambda g: 1.0 if g[0] == 32 else 1 / 0  # noqa: E731
    result = search(replace(synthetic_problem, fitness=fail_most), **SMALL)
    assert result.best.ok and result.best.genome[0] == 32
    assert all(e.ok for e in result.top(result.evaluations))


def test_all_failures_raise(tiny_problem):
    def broken(genome):
        raise RuntimeError("nope")

    with pytest.raises(
        EvogroupError, match=r"every one of 5 evaluations failed; first error: RuntimeError: nope"
    ):
        search(replace(tiny_problem, fitness=broken))


def test_infeasible_budget_fails_before_any_evaluation(tiny_problem):
    calls = []
    problem = Problem(tiny_problem.space, calls.append, tiny_problem.cost, budget=3.0)
    with pytest.raises(InfeasibleBudgetError, match="below the smallest reachable cost 4 "):
        search(problem)
    assert calls == []


def test_callback_gets_each_iterations_stats(synthetic_problem):
    seen = []
    result = search(synthetic_problem, **SMALL, callback=seen.append)
    assert seen == result.iterations
    assert len(seen) == SMALL["iterations"] + 1


def test_in_order_executor_gives_the_same_result(synthetic_problem):
    alone = search(synthetic_problem, **SMALL)
    with ThreadPoolExecutor(2) as pool:
        pooled = search(synthetic_problem, **SMALL, executor=pool)
    assert strip_timing(pooled) == strip_timing(alone)


def test_result_save_and_load_round_trip(tmp_path, tiny_problem):
    result = search(replace(tiny_problem, fitness=flaky))
    result.save(tmp_path / "result.json")
    loaded = SearchResult.load(tmp_path / "result.json")
    assert loaded.to_json() == result.to_json()
    assert loaded.best == result.best
    assert loaded.history == result.history
    assert loaded.settings["population"] == 50 and loaded.budget == tiny_problem.budget


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"population": 0}, "population >= 1 must hold, but got population=0"),
        ({"top_k": 0}, "top_k >= 1 must hold, but got top_k=0"),
        ({"crossovers": -1}, "crossovers >= 0 must hold, but got crossovers=-1"),
        ({"iterations": 2.5}, "iterations >= 0 must hold, but got iterations=2.5"),
        ({"mutation_prob": 1.5}, r"0 <= mutation_prob <= 1 must hold, but got mutation_prob=1.5"),
        ({"seed": "a"}, "seed must be an integer, but got seed='a'"),
    ],
)
def test_settings_are_validated(tiny_problem, setting, message):
    with pytest.raises(ValueError, match=message):
        search(tiny_problem, **setting)
