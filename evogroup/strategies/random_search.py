"""``random``: random search within the budget range, the paper's "random group search" baseline.

Every genome is drawn at random within ``[budget_min, budget]`` as the paper's initial
population is (:func:`evogroup.core.operators.sample_feasible`: uniform draws, rejected
when out of the range, repaired after ten misses), distinct from every genome drawn before.

Its split of N evaluations: all N in iteration 0 (``population = N``, no children), so a
run is one batch, as parallel as the executor allows. A split the user gives is kept:
``population`` genomes first, then ``crossovers + mutations`` more per iteration, drawn the
same way (nothing is bred). ``SearchResult.best`` is the fittest genome drawn.
"""

from __future__ import annotations

import random

from evogroup.core.operators import sample_feasible
from evogroup.core.population import Individual
from evogroup.core.schedule import Split
from evogroup.core.space import Genome
from evogroup.core.strategy import Offspring, Strategy, draw_unique, initial_population


class RandomSearch(Strategy):
    name = "random"
    summary = "random search within the budget range (the paper's baseline): all N at once"

    @classmethod
    def split(cls, evaluations: int) -> Split:
        """Every evaluation in iteration 0."""
        return Split(evaluations, 0, 0)

    def initial(self, rng: random.Random) -> Offspring:
        return initial_population(
            lambda: sample_feasible(self.problem, rng), self.settings.population
        )

    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        out = Offspring([])
        out.genomes = draw_unique(
            lambda: sample_feasible(self.problem, rng), self.children, taken, out
        )
        return out
