"""Baselines on the same Problem as the search (the paper's Table 1 ablation)."""

from __future__ import annotations

import random
import time

from evogroup.core.errors import InvalidValueError
from evogroup.core.evaluation import evaluate
from evogroup.core.loop import _result, _stats
from evogroup.core.operators import check_feasible, sample_feasible
from evogroup.core.population import select_top
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation
from evogroup.core.result import SearchResult
from evogroup.core.strategy import Offspring, draw_unique


def random_search(problem: Problem, evaluations: int, seed: int = 0) -> SearchResult:
    """Evaluate ``evaluations`` distinct random genomes under the budget; keep the best.

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
    if evaluations < 1:
        raise InvalidValueError(f"evaluations >= 1 must hold, but got evaluations={evaluations!r}")
    check_feasible(problem)
    rng = random.Random(seed)
    start = time.perf_counter()
    drawn = Offspring([])
    drawn.genomes = draw_unique(lambda: sample_feasible(problem, rng), evaluations, set(), drawn)
    history = evaluate(problem, drawn.genomes, 0)
    archive = select_top([], history, 1)
    stats = _stats(0, history, archive, drawn, start)
    ranked = [ind.evaluation for ind in archive]
    return _result(history, [stats], ranked, problem, {"evaluations": evaluations, "seed": seed})


def uniform(problem: Problem, groups: int) -> Evaluation:
    """The same group count in every layer, clipped to each layer's choices, evaluated.

    The budget is not enforced: a uniform baseline is a reference point whatever it costs
    (compare ``result.cost`` with ``problem.budget``).
    """
    genome = problem.space.uniform(groups)
    return evaluate(problem, [genome], 0)[0]
