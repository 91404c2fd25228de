"""``paper``: Algorithm 1 exactly as published (and as SPOS's evolution loop runs it).

Iteration 0 samples ``population`` genomes within the budget range. Every later iteration
breeds ``crossovers`` children by uniform crossover of two top-K parents and ``mutations``
children by mutating one top-K parent (each gene redrawn with probability
``mutation_prob``). Children out of the budget range are handled as ``constraint`` says:

- ``reject`` (as SPOS does): dropped and drawn again; the initial population is sampled
  by pure rejection too.
- ``repair``: moved into the range by :func:`evogroup.core.operators.repair`, with
  probability proportional to the cost each move saves.

Children already evaluated are dropped; a shortfall is filled with random genomes
within the range.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from evogroup.core.operators import crossover, mutate, repair, sample, sample_feasible
from evogroup.core.options import option
from evogroup.core.population import Individual
from evogroup.core.space import Genome
from evogroup.core.strategy import (
    Offspring,
    Strategy,
    StrategyOptions,
    draw_unique,
    initial_population,
)
from evogroup.strategies.bounded import FeasibleSampler

_REJECTION_TRIES = 1_000
CONSTRAINTS = ("reject", "repair")


@dataclass(frozen=True)
class PaperOptions(StrategyOptions):
    constraint: str = option(
        "reject",
        "children out of the budget range: reject them (as SPOS) or repair them",
        choices=CONSTRAINTS,
    )


class Paper(Strategy):
    name = "paper"
    summary = "Algorithm 1 as published: top-K, 25 crossovers + 25 mutations (--constraint)"
    Options = PaperOptions

    def __init__(self, problem, settings):
        super().__init__(problem, settings)
        self.exact = FeasibleSampler(problem)

    def initial(self, rng: random.Random) -> Offspring:
        return initial_population(lambda: self._random(rng), self.settings.population)

    def _random(self, rng: random.Random) -> Genome:
        """A random genome within the range: pure rejection (``reject``; after 1,000
        misses, an exact uniform draw) or 10 rejections then repair (``repair``)."""
        if self.options.constraint == "repair":
            return sample_feasible(self.problem, rng)
        for _ in range(_REJECTION_TRIES):
            genome = sample(self.problem.space, rng)
            if self.problem.feasible(genome):
                return genome
        return self.exact(rng)

    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        parents, s, out = [tuple(ind) for ind in archive], self.settings, Offspring([])

        def crossed() -> Genome:
            if len(parents) < 2:
                return mutated()
            a, b = rng.sample(parents, 2)
            return crossover(a, b, rng)

        def mutated() -> Genome:
            if not parents:
                return self._random(rng)
            return mutate(rng.choice(parents), self.problem.space, rng, s.mutation_prob)

        for make, count in ((crossed, s.crossovers), (mutated, s.mutations)):
            out.genomes += draw_unique(self._handled(make, out, rng), count, taken, out)
        shortfall = self.children - len(out.genomes)
        out.genomes += draw_unique(lambda: self._random(rng), shortfall, taken, out)
        return out

    def _handled(self, make: Callable[[], Genome], out: Offspring, rng) -> Callable:
        def draw() -> Genome | None:
            genome = make()
            if self.problem.feasible(genome):
                return genome
            if self.options.constraint == "reject":
                out.rejected += 1
                return None
            out.repaired += 1
            return repair(genome, self.problem, rng)

        return draw
