"""``guided`` (the default): predictor-guided evolution within the budget range.

Iteration 0 samples ``population`` genomes uniformly among those within
``[budget_min, budget]`` (exactly, by dynamic programming, for a cost table). Every later
iteration fits a one-hot ridge surrogate (:mod:`evogroup.strategies.surrogate`) to everything
evaluated so far and proposes ``crossovers + mutations`` genomes:

1. the surrogate's optimum within the range, from its posterior mean and from
   ``THOMPSON`` posterior draws (a multiple-choice knapsack, :mod:`evogroup.core.knapsack`);
2. the best-predicted of a pool of ``POOL`` x children made by crossover and mutation of
   top-K parents, and of the single-gene neighbours of the best genomes (a local search
   around the elite); every operator draws only values within the range
   (:mod:`evogroup.strategies.bounded`), so nothing is ever repaired or rejected.

The genome recommended at the end (``SearchResult.best``) is the best by a denoised
estimate of fitness (:mod:`evogroup.strategies.denoise`), which is the fittest evaluated when the
fitness has no noise.

Choices were made on ``benchmarks/search_quality.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

import random

from evogroup.core.cost import CostTable
from evogroup.core.knapsack import Grid, best_genome
from evogroup.core.operators import cost_after
from evogroup.core.population import Individual
from evogroup.core.records import Evaluation
from evogroup.core.space import Genome
from evogroup.core.strategy import Offspring, Strategy, draw_unique, initial_population
from evogroup.strategies.bounded import FeasibleSampler, crossover_within, mutate_within
from evogroup.strategies.denoise import denoised
from evogroup.strategies.surrogate import RidgeSurrogate

THOMPSON = 4  # knapsack optima of posterior draws per iteration
POOL = 5  # candidates screened by the surrogate per child proposed
ELITE = 3  # genomes whose single-gene neighbours enter the pool


class Guided(Strategy):
    name = "guided"
    summary = (
        "default: surrogate-guided evolution within the budget range (knapsack optimum + screening)"
    )

    def __init__(self, problem, settings):
        super().__init__(problem, settings)
        self.sampler = FeasibleSampler(problem)
        self.model = RidgeSurrogate(problem.space)  # fed every successful evaluation
        self.grid = None
        if isinstance(problem.cost, CostTable):
            self.grid = Grid.build(problem.cost, problem.space, problem.budget_min, problem.budget)

    def initial(self, rng: random.Random) -> Offspring:
        return initial_population(lambda: self.sampler(rng), self.settings.population)

    def observe(self, new: list[Evaluation]) -> None:
        super().observe(new)
        ok = [e for e in new if e.ok]
        self.model.add([e.genome for e in ok], [e.fitness for e in ok])

    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        out = Offspring([])
        if not self.model.n or not archive:
            out.genomes = draw_unique(lambda: self.sampler(rng), self.children, taken, out)
            return out
        model = self.model.solve()
        for genome in self._optima(model, rng):
            if len(out.genomes) < self.children:
                out.genomes += draw_unique(lambda g=genome: g, 1, taken, out)
        pool = self._pool([tuple(ind) for ind in archive], taken, rng)
        scores = model.predict(pool)
        ranked = [pool[i] for i in sorted(range(len(pool)), key=lambda i: -scores[i])]
        out.genomes += ranked[: self.children - len(out.genomes)]
        taken.update(out.genomes)
        shortfall = self.children - len(out.genomes)
        out.genomes += draw_unique(lambda: self.sampler(rng), shortfall, taken, out)
        return out

    def rank(self, history: list[Evaluation]) -> list[Evaluation]:
        """By a denoised estimate of fitness (:mod:`evogroup.strategies.denoise`): with a noisy fitness
        the luckiest evaluation is rarely the best genome."""
        return [e for _, e in denoised(history, self.problem.space)]

    def _optima(self, model: RidgeSurrogate, rng: random.Random) -> list[Genome]:
        if self.grid is None:
            return []
        values = [model.values()] + [model.values(model.draw(rng)) for _ in range(THOMPSON)]
        return [g for g in (best_genome(self.grid, v) for v in values) if g is not None]

    def _pool(self, parents: list[Genome], taken: set[Genome], rng: random.Random) -> list[Genome]:
        """Distinct candidates not in ``taken``: neighbours of the elite, then bred children."""
        seen: dict[Genome, None] = {}
        for genome in parents[:ELITE]:
            for neighbour in self._neighbours(genome):
                if neighbour not in taken:
                    seen.setdefault(neighbour)
        p = self.settings.mutation_prob
        for _ in range(POOL * self.children):
            if len(parents) >= 2 and rng.random() < 0.5:
                a, b = rng.sample(parents, 2)
                child = crossover_within(a, b, self.problem, rng)
            else:
                child = mutate_within(rng.choice(parents), self.problem, rng, p)
            if child not in taken:
                seen.setdefault(child)
        return list(seen)

    def _neighbours(self, genome: Genome) -> list[Genome]:
        """The genomes within the range that differ from ``genome`` in one gene."""
        out, genes, cost = [], list(genome), self.problem.cost(genome)
        for i, layer in enumerate(self.problem.space.layers):
            for g in layer.choices:
                if g != genome[i] and self.problem.within(
                    cost_after(self.problem, genes, cost, i, g)
                ):
                    other = genome[:i] + (g,) + genome[i + 1 :]
                    if self.problem.feasible(other):  # exact, beyond the lookup's rounding
                        out.append(other)
        return out
