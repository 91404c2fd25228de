r"""The evaluation budget first: ``evaluations`` N, and how a strategy splits it.

A search evaluates at most N genomes: iteration 0 evaluates ``population`` of them, every
later iteration a batch of at most ``crossovers + mutations`` (``children``), the last one
cut to what is left, so

.. math::

    N \le \mathrm{population} + \mathrm{iterations} \times \mathrm{children},
    \qquad \mathrm{iterations} = \lceil (N - \mathrm{population}) / \mathrm{children} \rceil .

Each strategy derives its own split from N (:meth:`evogroup.Strategy.split`); knobs the
user gives replace the derived ones. Given neither N nor a knob, N is the paper's 1,050.
Given knobs but no N, the paper's defaults fill the rest (``iterations`` 20) and N follows
from them, as before N existed. Given N and ``iterations`` that say otherwise, the search is
refused (:func:`plan`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from evogroup.core.errors import OptionError

DEFAULT_EVALUATIONS = 1050  # the paper's: 50 + 20 x (25 + 25)
PAPER_POPULATION, PAPER_CROSSOVERS, PAPER_MUTATIONS, PAPER_ITERATIONS = 50, 25, 25, 20


@dataclass(frozen=True)
class Split:
    """An initial population and a batch of ``crossovers + mutations`` children."""

    population: int
    crossovers: int
    mutations: int

    @property
    def children(self) -> int:
        return self.crossovers + self.mutations


def paper_split(evaluations: int) -> Split:
    """The paper's knobs (50 / 25 + 25) with N evaluations: the population is
    ``min(50, N)``; the iterations follow from N."""
    return Split(min(PAPER_POPULATION, evaluations), PAPER_CROSSOVERS, PAPER_MUTATIONS)


def plan(
    split: Callable[[int], Split],
    evaluations: int | None = None,
    population: int | None = None,
    crossovers: int | None = None,
    mutations: int | None = None,
    iterations: int | None = None,
) -> dict[str, int]:
    """The sizes of a search: ``population``, ``crossovers``, ``mutations``, ``iterations``
    and ``evaluations``, from what was given (None: not given) and ``split``, the strategy's
    own split of N.

    Raises:
        OptionError: N and knobs that contradict it (one line naming both), or knobs that
            cannot spend N.
    """
    given = {"population": population, "crossovers": crossovers, "mutations": mutations}
    if evaluations is None:
        if iterations is None and all(v is None for v in given.values()):
            evaluations = DEFAULT_EVALUATIONS
        else:
            base = Split(PAPER_POPULATION, PAPER_CROSSOVERS, PAPER_MUTATIONS)
            sizes = _merged(base, given)
            its = PAPER_ITERATIONS if iterations is None else iterations
            children = sizes["crossovers"] + sizes["mutations"]
            return {**sizes, "iterations": its, "evaluations": sizes["population"] + its * children}
    if not isinstance(evaluations, int) or isinstance(evaluations, bool) or evaluations < 1:
        raise OptionError(f"evaluations >= 1 must hold, but got evaluations={evaluations!r}")
    sizes = _merged(split(evaluations), given)
    population, children = sizes["population"], sizes["crossovers"] + sizes["mutations"]
    if population > evaluations:
        raise OptionError(
            f"population <= evaluations must hold, but got population={population}"
            f" > evaluations={evaluations}"
        )
    if children == 0 and evaluations > population:
        raise OptionError(
            f"crossovers + mutations >= 1 must hold to spend evaluations={evaluations}"
            f" beyond population={population}, but got 0"
        )
    needed = math.ceil((evaluations - population) / children) if children else 0
    if iterations is not None and iterations != needed:
        raise OptionError(
            f"evaluations={evaluations} contradicts iterations={iterations}: population"
            f" {population} + iterations x {children} children spends them in {needed}"
            " iterations; give evaluations or iterations, not both"
        )
    return {**sizes, "iterations": needed, "evaluations": evaluations}


def _merged(split: Split, given: dict[str, int | None]) -> dict[str, int]:
    out = {
        "population": split.population,
        "crossovers": split.crossovers,
        "mutations": split.mutations,
    }
    out.update({k: v for k, v in given.items() if v is not None})
    return out
