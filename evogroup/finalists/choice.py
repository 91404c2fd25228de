r"""Which genomes become finalists: a sequential design on the trainings as they arrive.

When the search's fitness is not a proxy (:attr:`~evogroup.Problem.proxy` False: a
measurement of the same kind as the training, noisy but not biased), the finalists are
its best evaluations, best first: a second, independent measurement of the genomes the
first one ranked highest (on Channel-Bench-Macro, where the search sees one trained run
and the finalists another, this beats every design that leaves the archive: a genome
measured once and picked for its score is picked for its luck). When it is a proxy (a
supernet's accuracy), the archive's ranking is the thing not to trust, and:

The first finalist is the dearest genome within the budget range (a knapsack on the cost:
on every real landscape we hold, the network that spends the budget is the strongest
single guess). Each later one is the optimum within the range of a Thompson draw from
:class:`~evogroup.finalists.model.TrainedScoreModel` refitted to every score so far: the
posterior's spread explores where few finalists were trained, its mean exploits what the
trainings showed. With an executor running ``batch`` trainings at once, a round takes the
posterior mean's optimum and ``batch - 1`` draws'. A genome already trained is never
chosen again; when the knapsack finds no new genome, the next one is the best, by the
model's mean, of random neighbours of the trained finalists and of the search's archive.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from evogroup.core.knapsack import best_genome
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome
from evogroup.finalists.model import TrainedScoreModel
from evogroup.finalists.records import Trained
from evogroup.strategies.guided.neighbours import Neighbours
from evogroup.strategies.guided.planning import Planner

NEIGHBOURS = 200  # random neighbours screened when the knapsack has no new genome


class FinalistChooser:
    """Proposes finalists one round at a time from the trainings so far."""

    def __init__(self, problem: Problem, result: SearchResult, seed: int):
        self.problem = problem
        self.planner = Planner(problem)
        self.archive = [e for e in result.history if e.ok and problem.feasible(e.genome)]
        self.model = TrainedScoreModel(problem.space, self.archive, self.planner)
        self.neighbours = Neighbours(problem)
        self.rng = random.Random(seed)
        best_first = sorted(self.archive, key=lambda e: -e.fitness)
        self.ranked = [] if problem.proxy else [e.genome for e in best_first]

    def propose(self, trained: Sequence[Trained], count: int) -> list[Genome]:
        """Up to ``count`` new genomes within the range, none of them in ``trained``."""
        taken = {t.genome for t in trained}
        scored = [t for t in trained if t.score is not None]
        ranked = [g for g in self.ranked if g not in taken][:count]
        if ranked:
            return ranked
        if not taken:
            return [self.planner.dearest()]
        if len(scored) >= 1:
            self.model.fit([t.genome for t in scored], [t.score for t in scored])
        out: list[Genome] = []
        for i in range(count):
            values = self.model.values(None if i == 0 and count > 1 else self.rng)
            genome = self._best(values, taken) or self._nearby(values, taken, trained)
            if genome is None:
                break
            out.append(genome)
            taken.add(genome)
        return out

    def _best(self, values: list[np.ndarray], taken: set[Genome]) -> Genome | None:
        fits = self.planner.grid.fits if self.planner.exact else self.problem.feasible
        return best_genome(self.planner.grid, values, lambda g: g not in taken and fits(g))

    def _nearby(self, values, taken: set[Genome], trained: Sequence[Trained]) -> Genome | None:
        starts = [t.genome for t in trained] + [e.genome for e in self.archive]
        pool = self.neighbours.draw(starts, NEIGHBOURS, taken, 20 * NEIGHBOURS, self.rng)
        pool += [e.genome for e in self.archive if e.genome not in taken]
        if not pool:
            return None
        index = [{g: j for j, g in enumerate(layer.choices)} for layer in self.problem.space.layers]
        score: Callable[[Genome], float] = lambda genome: float(  # noqa: E731
            sum(v[idx[g]] for v, idx, g in zip(values, index, genome))
        )
        return max(pool, key=score)
