r"""Operators that only draw values within the budget range, so no child needs repair.

With an additive cost the slack of every gene is known exactly: changing gene :math:`l`
of a genome :math:`G` to :math:`g` gives
:math:`\mathrm{cost}(G[l \leftarrow g]) = \mathrm{cost}(G) - T_l[G_l] + T_l[g]`, so the
values that keep :math:`\mathrm{budget\_min} \le \mathrm{cost} \le \mathrm{budget}` are
found without a trial-and-error loop. The parents must be within the range; the children
then are too. Other costs are called once per candidate value. Under
:attr:`~evogroup.core.problem.Problem.limits` (a second cost such as latency) every
candidate value is also checked against each limit, so children stay under them too.
"""

from __future__ import annotations

import random

from evogroup.core.cost import CostTable
from evogroup.core.knapsack import Grid, UniformSampler, find_in_range
from evogroup.core.operators import cost_after, repair, sample
from evogroup.core.problem import Problem
from evogroup.core.space import Genome


def mutate_within(genome: Genome, problem: Problem, rng: random.Random, prob: float) -> Genome:
    """Each gene, with probability ``prob`` and in random order, is redrawn uniformly among the
    values that keep the cost within ``[budget_min, budget]`` (its own value included)."""
    current, cost = list(genome), problem.cost(genome)
    picked = [i for i in range(len(current)) if rng.random() < prob]
    rng.shuffle(picked)
    for i in picked:
        after = {
            g: cost_after(problem, current, cost, i, g) for g in problem.space.layers[i].choices
        }
        allowed = [
            g
            for g, c in after.items()
            if problem.within(c) and _limits_hold(problem, current, i, g)
        ] or [current[i]]
        cost = _move(problem, current, cost, i, rng.choice(allowed))
    return tuple(current)


def crossover_within(a: Genome, b: Genome, problem: Problem, rng: random.Random) -> Genome:
    """Uniform crossover that stays in range: starting from ``a``, genes are visited in random
    order and each takes ``b``'s value with probability 1/2 when the cost stays in range."""
    current, cost = list(a), problem.cost(a)
    order = list(range(len(current)))
    rng.shuffle(order)
    for i in order:
        if (
            current[i] != b[i]
            and rng.random() < 0.5
            and problem.within(cost_after(problem, current, cost, i, b[i]))
            and _limits_hold(problem, current, i, b[i])
        ):
            cost = _move(problem, current, cost, i, b[i])
    return tuple(current)


def _move(problem: Problem, genes: list[int], cost: float, i: int, g: int) -> float:
    """Set gene ``i`` to ``g`` in place if the exact cost stays in range (a table lookup can be
    off by a rounding error); return the cost after."""
    old, genes[i] = genes[i], g
    exact = problem.cost(tuple(genes))
    if problem.within(exact) and problem.within_limits(tuple(genes)):
        return exact
    genes[i] = old
    return cost


def _limits_hold(problem: Problem, genes: list[int], i: int, g: int) -> bool:
    """Whether every limit holds once gene ``i`` becomes ``g`` (true without limits)."""
    return not problem.limits or problem.within_limits((*genes[:i], g, *genes[i + 1 :]))


class FeasibleSampler:
    """Uniform samples of the genomes within ``[budget_min, budget]``.

    With a :class:`CostTable`: exact counting by dynamic programming
    (:class:`~evogroup.core.knapsack.UniformSampler`), so tight budgets cost no rejections; when
    rounding makes that miss a narrow range, an exact randomized depth-first search
    (:func:`~evogroup.core.knapsack.find_in_range`). Otherwise: rejection sampling for
    ``tries`` draws, then repair. Under limits, draws that break one are drawn again.
    """

    def __init__(self, problem: Problem, tries: int = 100):
        self.problem, self.tries = problem, tries
        self.grid = self.exact = None
        if isinstance(problem.cost, CostTable):
            self.grid = Grid.build(problem.cost, problem.space, problem.budget_min, problem.budget)
            self.exact = UniformSampler(self.grid)
        self.range = (problem.budget_min, problem.budget)

    def __call__(self, rng: random.Random) -> Genome:
        if self.exact is not None:
            genome = self._exact(rng)
            if genome is not None:
                return genome
        for _ in range(self.tries):
            genome = sample(self.problem.space, rng)
            if self.problem.feasible(genome):
                return genome
        return repair(genome, self.problem, rng)

    def _exact(self, rng: random.Random) -> Genome | None:
        """A uniform draw in range; under limits, drawn again until the limits hold too
        (uniform among the genomes meeting every bound), then an exact search."""
        problem = self.problem
        for _ in range(self.tries if problem.limits else 1):
            genome = self.exact.sample(rng)
            if genome is not None and problem.within_limits(genome):
                return genome
        bounds = [(lim.cost, lim.budget) for lim in problem.limits]
        if any(not isinstance(t, CostTable) for t, _ in bounds):
            return None
        return find_in_range(problem.cost, problem.space, *self.range, rng, bounds=bounds)
