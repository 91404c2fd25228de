r"""Planning under the budget with any cost: exact for a cost table, fitted for a plain function.

The knapsack (:mod:`evogroup.core.knapsack`) needs an additive cost. A
:class:`~evogroup.core.cost.CostTable` is one. Any other cost (FLOPs that multiply
neighbouring widths, a measured latency) is approximated by least squares over
``samples`` genomes drawn uniformly (a fixed seed, so the plan is a function of the
problem alone):

.. math::

    \hat c(G) = c_0 + \sum_l T_l[G_l], \qquad
    (c_0, T) = \arg\min \sum_{s} \bigl(\mathrm{cost}(G_s) - \hat c(G_s)\bigr)^2

The knapsack then runs on :math:`\hat c` within the budget range widened by the largest
residual seen, and every genome it returns is re-checked with the true cost: a genome
out of range is skipped for the next best (:func:`evogroup.core.knapsack.best_genome`'s
``accept``), so the plan never leaves the range.

**A second constraint.** Under :attr:`~evogroup.core.problem.Problem.limits` (e.g. a
latency budget beside the FLOP budget) the plan is a knapsack with two constraints: the
primary range stays the DP's, and each limit enters by Lagrangian relaxation
(:func:`evogroup.core.knapsack.best_genome_bounded`) on the sum of the limits' additive
tables, each scaled by its budget (a limit that is not a table is fitted like the cost).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from evogroup.core.cost import Cost, CostTable
from evogroup.core.knapsack import Grid, best_genome, best_genome_bounded
from evogroup.core.operators import repair, sample
from evogroup.core.problem import Problem
from evogroup.core.space import Genome

SAMPLES_PER_FEATURE = 8


def fit_additive(
    problem: Problem, samples: int | None = None, cost: Cost | None = None
) -> tuple[CostTable, float]:
    """The least-squares additive table of ``problem.cost`` (or of ``cost``) and its largest
    absolute residual.

    ``samples`` defaults to ``SAMPLES_PER_FEATURE`` per (layer, choice), at least 200.
    """
    cost = problem.cost if cost is None else cost
    space = problem.space
    features = sum(len(layer.choices) for layer in space.layers)
    count = samples or max(200, SAMPLES_PER_FEATURE * features)
    rng = random.Random(0)
    genomes = [sample(space, rng) for _ in range(count)]
    x = np.zeros((count, features + 1))
    x[:, -1] = 1.0
    offsets = np.cumsum([0] + [len(layer.choices) for layer in space.layers])
    for row, genome in enumerate(genomes):
        for offset, layer, g in zip(offsets, space.layers, genome):
            x[row, offset + layer.choices.index(g)] = 1.0
    y = np.array([cost(g) for g in genomes], dtype=float)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    rows = [
        {g: float(coef[o + j]) for j, g in enumerate(layer.choices)}
        for o, layer in zip(offsets, space.layers)
    ]
    residual = float(np.max(np.abs(y - x @ coef)))
    return CostTable(rows, constant=float(coef[-1])), residual


class Planner:
    """The best genome within the budget range for any additive score.

    Attributes:
        table: the cost table planned on (``problem.cost`` itself, or its additive fit).
        exact: whether ``table`` is the true cost.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.exact = isinstance(problem.cost, CostTable)
        if self.exact:
            self.table, slack = problem.cost, 0.0
        else:
            self.table, slack = fit_additive(problem)
        low = max(problem.budget_min - slack, self.table.min_cost)
        high = max(problem.budget + slack, low)
        self.grid = Grid.build(self.table, problem.space, low, high)
        self.bound = _limits_table(problem) if problem.limits else None

    def best(self, values: Sequence[Sequence[float]]) -> Genome | None:
        """The genome maximizing :math:`\\sum_l v_l[G_l]` whose true cost is within range
        (and under every limit)."""
        if self.bound is not None:
            return best_genome_bounded(self.grid, values, self.bound, self.problem.feasible)
        accept = self.grid.fits if self.exact else self.problem.feasible
        return best_genome(self.grid, values, accept)

    def dearest(self) -> Genome:
        """The most expensive genome within the range (by the planned cost; re-checked)."""
        values = [
            np.array([row[g] for g in layer.choices])
            for row, layer in zip(self.table.table, self.problem.space.layers)
        ]
        genome = self.best(values)
        if genome is None:  # rounding or a poor fit: the greedy repair of the dearest genome
            genome = repair(self.table.max_genome(), self.problem)
        return genome


def _limits_table(problem: Problem) -> CostTable:
    """The limits' additive tables (fitted when a limit is not one), each over its budget,
    summed: one second cost for the Lagrangian plan."""
    rows = [dict.fromkeys(layer.choices, 0.0) for layer in problem.space.layers]
    for limit in problem.limits:
        table = limit.cost
        if not isinstance(table, CostTable):
            table, _ = fit_additive(problem, cost=limit.cost)
        for row, part in zip(rows, table.table):
            for g in row:
                row[g] += part[g] / limit.budget
    return CostTable(rows)


def dearest_feasible(problem: Problem) -> Genome:
    """The most expensive genome within ``problem``'s budget range: exact for a cost table
    (up to the knapsack's rounding), planned on the additive fit otherwise."""
    return Planner(problem).dearest()
