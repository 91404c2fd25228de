"""DEAP individuals and the elitist top-K archive.

Plain module-level classes instead of ``deap.creator`` (which writes global classes
at run time and breaks spawn-started worker processes).
"""

from __future__ import annotations

from collections.abc import Iterable

from deap import base, tools

from evogroup.core.records import Evaluation


class FitnessMax(base.Fitness):
    """Single-objective fitness, maximized."""

    weights = (1.0,)


class Individual(tuple):
    """A genome (tuple of group counts) carrying a DEAP fitness and its evaluation record."""

    def __new__(cls, evaluation: Evaluation) -> Individual:
        ind = super().__new__(cls, evaluation.genome)
        ind.fitness = FitnessMax()
        if evaluation.ok:
            ind.fitness.values = (evaluation.fitness,)
        ind.evaluation = evaluation
        return ind


def select_top(archive: list[Individual], new: Iterable[Evaluation], k: int) -> list[Individual]:
    """The elitist archive: the ``k`` best of ``archive`` and the successful ``new`` evaluations.

    ``tools.selBest`` sorts stably, so among equal fitness the earlier evaluation wins and
    the archive equals the top-k of the whole history in evaluation order.
    """
    candidates = archive + [Individual(e) for e in new if e.ok]
    return tools.selBest(candidates, k)
