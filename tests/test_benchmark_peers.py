"""The search-quality and engine benchmarks' peers still call the library as it is today
(a renamed keyword must fail here, not in a user's benchmark run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import engine  # noqa: E402
import search_quality  # noqa: E402
from quality_problems import instances  # noqa: E402

from evogroup import Problem, search  # noqa: E402


@pytest.mark.parametrize("name", [n for n in search_quality.PEERS if n != "optuna TPE"])
def test_every_search_quality_peer_returns_a_genome_within_the_budget(name):
    problem = instances()[0].problem(0.15, 0.003, run_seed=0)
    genome = search_quality.PEERS[name](problem, 0)
    assert problem.cost(problem.space.validate(genome)) <= problem.budget


@pytest.mark.parametrize("name,settings", engine.STRATEGIES)
def test_every_engine_strategy_runs(name, settings):
    problem = Problem(engine.SPACE, fitness=lambda g: -sum(g), cost=engine.TABLE, budget=1.55e8)
    result = search(problem, seed=0, **{**settings, "iterations": 2})
    assert result.evaluations == 50 + 2 * 50
