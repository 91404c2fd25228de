r"""Re-scoring the final top-K with a second, more precise fitness.

A supernet's fitness is measured on a finite validation set, so it is noisy: the best of
:math:`n` noisy evaluations :math:`\hat f_i = f_i + \varepsilon_i` is biased upwards
(:math:`E[\max_i \hat f_i] > \max_i f_i`) and is often not the truly best genome. Calling a
more precise fitness (more validation images, recalibrated statistics) on the top-K only
costs K calls and picks among them by the better number; both numbers are reported.
"""

from __future__ import annotations

from functools import partial

from evogroup.core.evaluation import Executor, timed_call
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation, Rescored


def rescore_final(
    problem: Problem, ranked: list[Evaluation], k: int, executor: Executor | None = None
) -> list[Rescored]:
    """The first ``k`` of ``ranked`` (the strategy's best first) re-scored by
    ``problem.rescore``, best re-scored first (failed calls last); empty without a
    ``rescore`` or with ``k == 0``."""
    if problem.rescore is None or k == 0:
        return []
    top = ranked[:k]
    mapper = executor.map if executor is not None else map
    calls = list(mapper(partial(timed_call, problem.rescore), [e.genome for e in top]))
    rescored = [
        Rescored(e.genome, e.cost, e.fitness, value, error)
        for e, (value, error, _) in zip(top, calls)
    ]
    return sorted(rescored, key=lambda r: (r.rescored is None, -(r.rescored or 0.0)))
