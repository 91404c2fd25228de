"""The evolutionary search beats random search with the same number of evaluations."""

from __future__ import annotations

import statistics

import pytest

from evogroup.core.loop import search
from evogroup.runs.baselines import random_search

SEEDS = range(10)


@pytest.mark.slow  # two searches of 1,050 evaluations and their peers: over a minute on 2 cores
def test_search_beats_random_search_on_synthetic(synthetic_problem):
    searched, sampled = [], []
    for seed in SEEDS:
        result = search(synthetic_problem, seed=seed)  # the paper's settings: 50 + 20 x 50
        baseline = random_search(synthetic_problem, evaluations=result.evaluations, seed=seed)
        searched.append(result.best.fitness)
        sampled.append(baseline.best.fitness)
    margin = statistics.median(searched) - statistics.median(sampled)
    assert margin > 0, (
        f"median best fitness: search {statistics.median(searched):.3f},"
        f" random {statistics.median(sampled):.3f} (margin {margin:+.3f});"
        f" search {searched}, random {sampled}"
    )
