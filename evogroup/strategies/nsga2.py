r"""``nsga2``: the whole accuracy-cost front in one run (NSGA-II on fitness up, cost down).

Iteration 0 samples ``population`` genomes uniformly within ``[budget_min, budget]``.
After every iteration the population is the ``population`` best of itself and the new
evaluations by DEAP's ``selNSGA2`` (non-dominated rank, then crowding distance).
Parents are drawn by binary tournaments on (rank, crowding distance) with the run's own
RNG; ``crossovers`` children come from within-range uniform crossover and ``mutations``
from within-range mutation (:mod:`evogroup.strategies.bounded`), so every child is in the range.
``SearchResult.front`` then answers any budget in the range without searching again.
"""

from __future__ import annotations

import random

from deap import base, tools

from evogroup.core.population import Individual
from evogroup.core.records import Evaluation
from evogroup.core.space import Genome
from evogroup.core.strategy import Offspring, Strategy, draw_unique, initial_population
from evogroup.strategies.bounded import FeasibleSampler, crossover_within, mutate_within


class FitnessCost(base.Fitness):
    """Two objectives: fitness maximized, cost minimized."""

    weights = (1.0, -1.0)


class Point(tuple):
    """A genome with its two-objective DEAP fitness."""

    def __new__(cls, evaluation: Evaluation) -> Point:
        point = super().__new__(cls, evaluation.genome)
        point.fitness = FitnessCost((evaluation.fitness, evaluation.cost))
        return point


class NSGA2(Strategy):
    name = "nsga2"
    summary = "the accuracy-cost front in one run (NSGA-II; pareto.csv, front.best_under)"

    def __init__(self, problem, settings):
        super().__init__(problem, settings)
        self.sampler = FeasibleSampler(problem)
        self.population: list[Point] = []
        self.fronts: dict[int, int] = {}  # id of a population member -> its front

    def initial(self, rng: random.Random) -> Offspring:
        return initial_population(lambda: self.sampler(rng), self.settings.population)

    def observe(self, new: list[Evaluation]) -> None:
        super().observe(new)
        merged = self.population + [Point(e) for e in new if e.ok]
        self.population = tools.selNSGA2(merged, self.settings.population)
        fronts = tools.sortNondominated(self.population, len(self.population))
        self.fronts = {id(p): r for r, front in enumerate(fronts) for p in front}

    def _tournament(self, rng: random.Random) -> Genome:
        a, b = rng.choice(self.population), rng.choice(self.population)
        key = lambda p: (-self.fronts[id(p)], p.fitness.crowding_dist)  # noqa: E731
        return tuple(a if key(a) >= key(b) else b)

    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        out, s = Offspring([]), self.settings
        if not self.population:
            out.genomes = draw_unique(lambda: self.sampler(rng), self.children, taken, out)
            return out

        def crossed() -> Genome:
            return crossover_within(self._tournament(rng), self._tournament(rng), self.problem, rng)

        def mutated() -> Genome:
            return mutate_within(self._tournament(rng), self.problem, rng, s.mutation_prob)

        for make, count in ((crossed, s.crossovers), (mutated, s.mutations)):
            out.genomes += draw_unique(make, count, taken, out)
        shortfall = self.children - len(out.genomes)
        out.genomes += draw_unique(lambda: self.sampler(rng), shortfall, taken, out)
        return out
