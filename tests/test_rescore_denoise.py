"""Noise: denoised estimates (the nugget) and re-scoring the final top-K with a precise fitness."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import numpy as np
import pytest

from evogroup import Problem, SearchResult, SearchSettings, SearchSpace
from evogroup.core.loop import search
from evogroup.strategies.guided.denoise import PRIOR_TRUST, denoised, estimates, nugget, recommended
from evogroup.strategies.guided.strategy import ELITE, Guided
from evogroup.strategies.guided.surrogate import RidgeSurrogate


class Additive:
    """A seeded additive fitness, plus seeded per-genome noise of standard deviation ``sigma``."""

    def __init__(self, space, sigma):
        rng = random.Random(0)
        self.values = [{g: rng.uniform(0, 1) for g in layer.choices} for layer in space.layers]
        self.sigma = sigma

    def true(self, genome):
        return sum(v[g] for v, g in zip(self.values, genome))

    def __call__(self, genome):
        seed = int.from_bytes(hashlib.blake2b(repr(genome).encode(), digest_size=8).digest(), "big")
        return self.true(genome) + random.Random(seed).gauss(0, self.sigma)


@pytest.fixture
def noisy(synthetic_problem):
    fitness = Additive(synthetic_problem.space, sigma=0.2)
    return replace(synthetic_problem, fitness=fitness)


def test_the_nuggetestimates_the_noise_level(noisy):
    result = search(noisy, strategy="paper", seed=1)
    genomes = [e.genome for e in result.history]
    y = np.array([e.fitness for e in result.history])
    residuals = y - RidgeSurrogate(noisy.space).fit(genomes, y).predict(genomes)
    assert 0.15**2 < nugget(genomes, residuals, noisy.space) < 0.25**2


def test_the_nugget_is_half_the_mean_square_over_one_gene_pairs():
    space = SearchSpace.from_channels([8, 8, 4, 4])
    rng = random.Random(5)
    genomes = sorted(
        {tuple(rng.choice(layer.choices) for layer in space.layers) for _ in range(60)}
    )
    residuals = np.array([rng.gauss(0, 1) for _ in genomes])
    squares = [
        (residuals[i] - residuals[j]) ** 2
        for i in range(len(genomes))
        for j in range(i + 1, len(genomes))
        if sum(a != b for a, b in zip(genomes[i], genomes[j])) == 1
    ]
    assert squares and nugget(genomes, residuals, space) == pytest.approx(0.5 * np.mean(squares))
    assert nugget(genomes[:1], residuals[:1], space) is None


def test_denoised_pick_is_truly_better_than_the_luckiest(noisy):
    result = search(noisy, strategy="paper", seed=1)
    luckiest = max(result.history, key=lambda e: e.fitness)
    estimate, pick = denoised(result.history, noisy.space)[0]
    assert noisy.fitness.true(pick.genome) > noisy.fitness.true(luckiest.genome)
    assert estimate < luckiest.fitness  # the winner's curse, removed


def test_without_noise_denoised_ranks_like_fitness(synthetic_problem):
    exact = replace(synthetic_problem, fitness=Additive(synthetic_problem.space, sigma=0.0))
    result = search(exact, strategy="paper", seed=2)
    ranked = [e for _, e in denoised(result.history, exact.space)]
    assert ranked[:5] == sorted(result.history, key=lambda e: -e.fitness)[:5]


def test_a_proxy_is_recommended_by_its_estimate_even_where_the_prior_is_poor(synthetic_problem):
    space = synthetic_problem.space
    rugged = Additive(space, sigma=1.0)  # per-genome terms dwarf the additive part
    result = search(replace(synthetic_problem, fitness=rugged), strategy="paper", seed=3)
    ok = [e for e in result.history if e.ok]
    assert estimates(ok, space)[1] < PRIOR_TRUST
    by_fitness = sorted(ok, key=lambda e: -e.fitness)
    by_estimate = [e for _, e in denoised(ok, space)]
    assert by_fitness[0] != by_estimate[0]
    assert recommended(ok, space)[0] == by_fitness[0]
    assert recommended(ok, space, proxy=True)[0] == by_estimate[0]


def test_guided_reads_the_proxy_flag_only_for_its_recommendation(synthetic_problem):
    rugged = replace(synthetic_problem, fitness=Additive(synthetic_problem.space, sigma=1.0))
    plain = search(rugged, seed=4, iterations=3)
    proxy = search(replace(rugged, proxy=True), seed=4, iterations=3)
    assert [e.genome for e in proxy.history] == [e.genome for e in plain.history]
    assert proxy.best == recommended(proxy.history, rugged.space, proxy=True)[0]


def _guided_after(problem, history):
    strategy = Guided(problem, SearchSettings())
    strategy.observe(history)
    return strategy


def test_guided_searches_around_the_denoised_best_where_the_prior_is_sound(noisy):
    history = search(noisy, strategy="paper", seed=1).history
    assert estimates(history, noisy.space)[1] >= PRIOR_TRUST
    by_fitness = [e.genome for e in sorted(history, key=lambda e: -e.fitness)]
    elite = _guided_after(noisy, history)._elite(by_fitness)
    assert elite == [e.genome for _, e in denoised(history, noisy.space)][: len(elite)]
    assert elite[0] != by_fitness[0]  # not the luckiest draw


def test_guided_searches_around_the_fittest_where_the_prior_is_poor(synthetic_problem):
    rugged = replace(synthetic_problem, fitness=Additive(synthetic_problem.space, sigma=1.0))
    history = search(rugged, strategy="paper", seed=3).history
    by_fitness = [e.genome for e in sorted(history, key=lambda e: -e.fitness)]
    assert _guided_after(rugged, history)._elite(by_fitness) == by_fitness[:ELITE]


def test_rescoring_reports_both_numbers_and_picks_the_best_rescored(noisy, tmp_path):
    precise = replace(noisy, rescore=noisy.fitness.true)
    result = search(precise, strategy="paper", rescore_top=5, seed=1)
    assert len(result.rescored) == 5
    assert [r.rescored for r in result.rescored] == sorted(
        (r.rescored for r in result.rescored), reverse=True
    )
    top5 = sorted(result.history, key=lambda e: -e.fitness)[:5]
    assert {r.genome for r in result.rescored} == {e.genome for e in top5}
    for r in result.rescored:
        assert r.rescored == noisy.fitness.true(r.genome)
        assert r.fitness == next(e.fitness for e in result.history if e.genome == r.genome)
    assert result.best.genome == result.rescored[0].genome
    result.save(tmp_path / "result.json")
    assert SearchResult.load(tmp_path / "result.json").rescored == result.rescored


def test_no_rescore_without_a_precise_fitness_or_with_zero(noisy):
    assert search(noisy, iterations=1).rescored == []
    assert (
        search(replace(noisy, rescore=noisy.fitness.true), iterations=1, rescore_top=0).rescored
        == []
    )


def test_a_failing_rescore_is_recorded_and_ranked_last(noisy):
    calls = []

    def fails_first(genome):
        calls.append(genome)
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return 1.0

    result = search(replace(noisy, rescore=fails_first), iterations=2, rescore_top=4)
    assert [r.rescored for r in result.rescored] == [1.0, 1.0, 1.0, None]
    assert result.rescored[-1].genome == calls[0]
    assert result.rescored[-1].error.startswith("RuntimeError: out of memory")
    assert result.best.genome == result.rescored[0].genome


def test_problem_refuses_a_rescore_that_is_not_callable(tiny_problem):
    with pytest.raises(TypeError, match="rescore must be None or a callable"):
        Problem(tiny_problem.space, sum, tiny_problem.cost, 10.0, rescore=3)
