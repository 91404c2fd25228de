"""The seam between the search loop and a strategy: what a strategy is asked, and when.

:func:`evogroup.search` owns everything strategies share: evaluation (in order, through
any executor), the JSONL log, the checkpoint after every iteration, resume, the elitist
top-K archive, statistics, and the rule that no genome is evaluated twice. A strategy
only proposes genomes.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from evogroup.core.options import Options
from evogroup.core.population import Individual
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation
from evogroup.core.schedule import Split, paper_split
from evogroup.core.settings import SearchSettings
from evogroup.core.space import Genome

ATTEMPTS_PER_CHILD = 10


@dataclass
class Offspring:
    """Genomes to evaluate next, and how many draws were dropped on the way there.

    Attributes:
        duplicates: draws equal to a genome already evaluated or proposed.
        repaired: draws moved into the budget range by repair.
        rejected: draws dropped because their cost was out of the budget range.
    """

    genomes: list[Genome]
    duplicates: int = 0
    repaired: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class StrategyOptions(Options):
    """Base of a strategy's typed options (fields made by :func:`evogroup.option`); none by itself."""


class Strategy(abc.ABC):
    """How a search proposes genomes. One instance serves one search.

    A strategy declares its own knobs as ``Options``, a :class:`StrategyOptions` dataclass;
    ``settings.strategy_options`` arrive parsed into it (:func:`evogroup.core.configure.configure`)
    and are kept as ``self.options`` (a plain mapping, from JSON, is parsed here), so an
    option the strategy does not have is refused rather than ignored.

    A strategy splits the evaluation budget N its own way (:meth:`split`, documented by
    each); the loop stops after ``settings.evaluations`` evaluations, cutting the last batch.

    The loop calls, in this order:

    1. ``Strategy(problem, settings)`` once.
    2. :meth:`initial` once, for iteration 0's genomes (not on resume).
    3. After the evaluations of every iteration, :meth:`observe` with them; on resume it is
       replayed over the checkpointed history, iteration by iteration. A strategy's state
       must therefore be a function of the evaluations it observed (and nothing else), so
       that a resumed search ends as an uninterrupted one does.
    4. :meth:`breed` for the genomes of the next iteration.
    5. :meth:`rank` once at the end, to pick ``SearchResult.best`` (and the genomes to
       re-score).

    Every genome proposed must be valid, within ``[problem.budget_min, problem.budget]``,
    and not in ``taken`` (the genomes already evaluated or proposed).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    Options: ClassVar[type[StrategyOptions]] = StrategyOptions

    def __init__(self, problem: Problem, settings: SearchSettings):
        self.problem, self.settings = problem, settings
        options = settings.strategy_options
        self.options = (
            options
            if isinstance(options, self.Options)
            else self.parse_options(
                options.to_json() if isinstance(options, StrategyOptions) else options
            )
        )
        self.history: list[Evaluation] = []

    @classmethod
    def parse_options(cls, values: Mapping[str, Any]) -> StrategyOptions:
        """``values`` as this strategy's typed options; an unknown name or a bad value is an
        :class:`~evogroup.core.errors.OptionError` naming the rule."""
        return cls.Options.parse(f"strategy {cls.name!r}", dict(values))

    @classmethod
    def split(cls, evaluations: int) -> Split:
        """This strategy's split of N evaluations into an initial population and a batch
        per iteration; by default the paper's (:func:`evogroup.core.schedule.paper_split`)."""
        return paper_split(evaluations)

    @abc.abstractmethod
    def initial(self, rng: random.Random) -> Offspring:
        """Iteration 0's genomes (``settings.population`` of them)."""

    def observe(self, new: list[Evaluation]) -> None:
        """Take note of one iteration's evaluations (failed ones included)."""
        self.history.extend(new)

    @abc.abstractmethod
    def breed(self, archive: list[Individual], taken: set[Genome], rng: random.Random) -> Offspring:
        """The next iteration's genomes (at most ``crossovers + mutations``), none in ``taken``.

        ``archive`` is the elitist top-K over everything evaluated, best first.
        """

    def rank(self, history: list[Evaluation]) -> list[Evaluation]:
        """The successful evaluations, the one recommended as best first. By default by
        fitness, earlier first on ties."""
        return sorted((e for e in history if e.ok), key=lambda e: -e.fitness)

    @property
    def children(self) -> int:
        return self.settings.crossovers + self.settings.mutations


def draw_unique(
    draw: Callable[[], Genome | None], count: int, taken: set[Genome], out: Offspring
) -> list[Genome]:
    """Up to ``count`` new genomes from ``draw`` (None: a draw that was dropped), within
    ``count * ATTEMPTS_PER_CHILD`` draws; each one kept is added to ``taken``."""
    kept: list[Genome] = []
    for _ in range(count * ATTEMPTS_PER_CHILD):
        if len(kept) == count:
            break
        genome = draw()
        if genome is None:
            continue
        if genome in taken:
            out.duplicates += 1
            continue
        taken.add(genome)
        kept.append(genome)
    return kept


def initial_population(draw: Callable[[], Genome], size: int) -> Offspring:
    """Iteration 0: ``size`` distinct genomes from ``draw`` (shared by every strategy)."""
    out = Offspring([])
    out.genomes = draw_unique(draw, size, set(), out)
    return out
