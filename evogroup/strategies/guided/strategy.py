r"""``guided`` (the default): model-guided evolution within the budget range, hedged by local search.

It plans its own schedule from the evaluation budget N (``settings.evaluations``), whatever
split of N the user gave: an initial design of :func:`initial_design` genomes
(20 at N = 160 and 400, rising linearly to the paper's 50 at 1,050), then
model-guided batches of :func:`batch_size` genomes (10 up to N = 400, rising linearly to 50 at 1,050),
or of ``crossovers + mutations`` when that is smaller (the user's batch is a ceiling, e.g. the
number of workers it keeps busy, never a floor: a model refitted more often spends a
small budget better). ``population`` and ``iterations`` only say how many evaluations
there are. The loop stops after N.

Iteration 0 evaluates the dearest genome within ``[budget_min, budget]`` (a knapsack,
:mod:`evogroup.strategies.guided.planning`: on a real landscape the network that spends the budget is a
strong start) and the rest of the initial design drawn uniformly within the range (exactly,
by dynamic programming, for a cost table). Every later iteration proposes a batch:

1. the optimum within the range of a one-hot ridge surrogate (:mod:`evogroup.strategies.guided.surrogate`),
   from its posterior mean and from up to ``THOMPSON`` posterior draws (one per 10
   children): a multiple-choice knapsack on the cost table, or on an additive fit of a
   cost given as a plain function, every genome re-checked with the true cost;
2. a portfolio share of random one- and two-gene neighbours (local search,
   :mod:`evogroup.strategies.guided.neighbours`) of the
   ``ELITE`` best genomes (by the denoised estimate where the additive prior is sound, as
   below, so that with a noisy fitness the search does not circle the luckiest draws), as many as
   the children times :math:`1 - R^2_\mathrm{LOO}`, where :math:`R^2_\mathrm{LOO}` is the
   leave-one-out skill of the interaction model below: the less the model predicts, the
   more evaluations go to plain local search;
3. the rest: the best-predicted, by a model with pairwise layer interactions
   (:mod:`evogroup.strategies.guided.interactions`, fitted to the ``CRITIC_FIT`` best evaluations), of a
   pool of those neighbours and ``POOL`` x children
   made by crossover and mutation of top-K parents; every operator draws only values
   within the range (:mod:`evogroup.strategies.bounded`), so nothing is repaired or rejected.

The genome recommended at the end (``SearchResult.best``) is chosen by
:func:`evogroup.strategies.guided.denoise.recommended`: by a denoised estimate of fitness where the additive
prior is sound or the fitness is a proxy (:attr:`evogroup.Problem.proxy`, e.g. a supernet's), else
the fittest evaluated.

Choices were made on ``benchmarks/search_quality.py`` and ``benchmarks/real_landscapes.py``
(docs/benchmarks.md).
"""

from __future__ import annotations

import math
import random

import numpy as np

from evogroup.core.population import Individual
from evogroup.core.records import Evaluation
from evogroup.core.schedule import Split
from evogroup.core.space import Genome
from evogroup.core.strategy import (
    ATTEMPTS_PER_CHILD,
    Offspring,
    Strategy,
    draw_unique,
    initial_population,
)
from evogroup.strategies.bounded import FeasibleSampler, crossover_within, mutate_within
from evogroup.strategies.guided.denoise import PRIOR_TRUST, estimates, recommended
from evogroup.strategies.guided.interactions import InteractionModel
from evogroup.strategies.guided.neighbours import Neighbours
from evogroup.strategies.guided.planning import Planner
from evogroup.strategies.guided.surrogate import RidgeSurrogate

THOMPSON = 4  # knapsack optima of posterior draws per iteration
POOL = 5  # candidates screened by the surrogate per child proposed
CRITIC_FIT = 300  # the best evaluations the interaction model is fitted to (O(n^3) fits)
NEAR = 50  # neighbours of the elite screened by the interaction model per child proposed
ELITE = 3  # genomes whose one- and two-gene neighbours enter the pool


def initial_design(evaluations: int) -> int:
    r"""The initial design's size for N evaluations (at most N): :math:`1.6 \sqrt{N}` within
    10 to 20 up to N = 400 (20 from N = 156 on), then rising linearly to the paper's 50 at
    N = 1,050. A small design leaves more of a small budget to the model (on
    Channel-Bench at N = 400, a design of 32 read 0.120 against 20's 0.093)."""
    small = max(10, min(20, round(1.6 * math.sqrt(evaluations))))
    return min(evaluations, 50, small + max(0, round(30 * (evaluations - 400) / 650)))


def batch_size(evaluations: int) -> int:
    """The largest model-guided batch ``guided`` plans for N evaluations: 10 up to N = 400,
    then rising linearly to the paper's 50 at N = 1,050 (so the default run is the paper's
    schedule, 50 + 20 x 50, and a large run keeps many workers busy)."""
    return min(50, max(10, round(10 + 40 * (evaluations - 400) / 650)))


class Guided(Strategy):
    name = "guided"
    summary = (
        "default: model-guided evolution within the budget range (knapsack optimum, screening"
        " by a pairwise-interaction model, local search in proportion to its error)"
    )

    @classmethod
    def split(cls, evaluations: int) -> Split:
        """:func:`initial_design` genomes, then batches of :func:`batch_size`."""
        batch = batch_size(evaluations)
        return Split(initial_design(evaluations), batch // 2, batch - batch // 2)

    def __init__(self, problem, settings):
        super().__init__(problem, settings)
        self.sampler = FeasibleSampler(problem)
        self.model = RidgeSurrogate(problem.space)  # fed every successful evaluation
        self.planner = Planner(problem)
        self.neighbours = Neighbours(problem)

    def initial(self, rng: random.Random) -> Offspring:
        first = [self.planner.dearest()]
        draw = lambda: first.pop() if first else self.sampler(rng)  # noqa: E731
        return initial_population(draw, initial_design(self.settings.evaluations))

    @property
    def children(self) -> int:
        """The batch: the user's ``crossovers + mutations`` at most, :func:`batch_size` at most."""
        given = self.settings.crossovers + self.settings.mutations
        return min(given, batch_size(self.settings.evaluations))

    def observe(self, new: list[Evaluation]) -> None:
        super().observe(new)
        ok = [e for e in new if e.ok]
        self.model.add([e.genome for e in ok], [e.fitness for e in ok])

    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        out = Offspring([])
        if not self.model.n or not archive:
            out.genomes = draw_unique(lambda: self.sampler(rng), self.children, taken, out)
            return out
        parents = [tuple(ind) for ind in archive]
        self._take(out, self._optima(self.model.solve(), rng), taken)
        ok = sorted((e for e in self.history if e.ok), key=lambda e: -e.fitness)[:CRITIC_FIT]
        critic = InteractionModel([e.genome for e in ok], [e.fitness for e in ok])
        explore = round(self.children * (1.0 - max(critic.skill, 0.0)))
        elite = self._elite(parents)
        self._take(out, self._near(elite, explore, taken, rng), taken)
        near = self._near(elite, NEAR * self.children, taken, rng)
        pool = self._pool(parents, near, taken, rng)
        scores = critic.predict(pool)
        self._take(
            out, [pool[i] for i in sorted(range(len(pool)), key=lambda i: -scores[i])], taken
        )
        shortfall = self.children - len(out.genomes)
        out.genomes += draw_unique(lambda: self.sampler(rng), shortfall, taken, out)
        return out

    def _take(self, out: Offspring, genomes: list[Genome], taken: set[Genome]) -> None:
        """Append those of ``genomes`` not in ``taken`` while fewer than ``children`` are out."""
        for genome in genomes:
            if len(out.genomes) >= self.children:
                return
            if genome in taken:
                out.duplicates += 1
                continue
            taken.add(genome)
            out.genomes.append(genome)

    def rank(self, history: list[Evaluation]) -> list[Evaluation]:
        """By a denoised estimate of fitness when the additive prior it leans on is sound or
        the fitness is a proxy, else by fitness (:func:`evogroup.strategies.guided.denoise.recommended`)."""
        return recommended(history, self.problem.space, self.problem.proxy)

    def _elite(self, parents: list[Genome]) -> list[Genome]:
        """The ``ELITE`` genomes whose neighbours are searched: the best by the denoised
        estimate where the additive prior is sound (there a noisy fitness's best are partly
        its luckiest draws), else the best parents by fitness."""
        ok = [e for e in self.history if e.ok]
        values, r2 = estimates(ok, self.problem.space)
        if r2 < PRIOR_TRUST:
            return parents[:ELITE]
        return [ok[i].genome for i in np.argsort(-values, kind="stable")[:ELITE]]

    def _optima(self, model: RidgeSurrogate, rng: random.Random) -> list[Genome]:
        draws = min(THOMPSON, self.children // 10)
        values = [model.values()] + [model.values(model.draw(rng)) for _ in range(draws)]
        return [g for g in (self.planner.best(v) for v in values) if g is not None]

    def _pool(
        self, parents: list[Genome], near: list[Genome], taken: set[Genome], rng: random.Random
    ) -> list[Genome]:
        """Distinct candidates not in ``taken``: ``near`` (the elite's neighbours), then
        children bred from ``parents``."""
        seen = dict.fromkeys(g for g in near if g not in taken)
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

    def _near(
        self, elite: list[Genome], count: int, taken: set[Genome], rng: random.Random
    ) -> list[Genome]:
        return self.neighbours.draw(elite, count, taken, count * ATTEMPTS_PER_CHILD, rng)
