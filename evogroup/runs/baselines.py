"""Baselines on the same Problem as the search (the paper's Table 1 ablation)."""

from __future__ import annotations

from evogroup.core.evaluation import evaluate
from evogroup.core.loop import search
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation
from evogroup.core.result import SearchResult


def random_search(problem: Problem, evaluations: int, seed: int = 0, **files) -> SearchResult:
    """Evaluate ``evaluations`` distinct random genomes under the budget; keep the best: the
    registered ``random`` strategy (:mod:`evogroup.strategies.random_search`) run by
    :func:`evogroup.search`, so ``files`` (``checkpoint``, ``log``, ``executor``) work as there.

    The genomes are drawn like the search's initial population (uniform, rejection
    sampling, then repair), so with as many evaluations as :func:`evogroup.search` this
    is the paper's "random group search" baseline.

    Example:
        >>> from evogroup import CostTable, Problem, SearchSpace
        >>> space = SearchSpace.from_channels([8, 8])
        >>> cost = CostTable([{g: 8 / g for g in layer.choices} for layer in space.layers])
        >>> p = Problem(space, lambda g: -abs(g[0] - g[1]), cost, budget=6)
        >>> random_search(p, evaluations=5).best.fitness
        0.0
    """
    return search(
        problem, strategy="random", evaluations=evaluations, seed=seed, rescore_top=0, **files
    )


def uniform(problem: Problem, groups: int) -> Evaluation:
    """The same group count in every layer, clipped to each layer's choices, evaluated.

    The budget is not enforced: a uniform baseline is a reference point whatever it costs
    (compare ``result.cost`` with ``problem.budget``).
    """
    genome = problem.space.uniform(groups)
    return evaluate(problem, [genome], 0)[0]
