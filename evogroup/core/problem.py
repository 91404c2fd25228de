"""The search problem: what to search (space), how good (fitness), how costly (cost), how much (budget)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from evogroup.core.cost import Cost, CostTable
from evogroup.core.errors import InvalidValueError
from evogroup.core.space import Genome, SearchSpace

Fitness = Callable[[Genome], float]


@dataclass(frozen=True)
class Limit:
    """A second bound on every genome, ``cost(G) <= budget``, on a cost other than the
    problem's own (e.g. the predicted latency in ms beside a FLOP budget).

    Example:
        >>> Limit(lambda g: sum(g), 4.0, "ms").holds((1, 2))
        True
    """

    cost: Cost
    budget: float
    label: str = "second cost"

    def __post_init__(self) -> None:
        if not callable(self.cost):
            raise TypeError("a limit's cost must be a callable taking a genome")
        budget = float(self.budget)
        if not math.isfinite(budget) or budget <= 0:
            raise ValueError(f"a limit's budget > 0 must hold, but got budget={self.budget!r}")
        object.__setattr__(self, "budget", budget)

    def holds(self, genome: Genome) -> bool:
        return self.cost(genome) <= self.budget


@dataclass(frozen=True)
class Problem:
    """A group-count search problem: maximize fitness subject to ``budget_min <= cost(G) <= budget``.

    Args:
        space: the layers and their group choices.
        fitness: genome -> score, higher is better (e.g. validation accuracy).
        cost: genome -> cost (e.g. FLOPs); a :class:`CostTable` makes repair exact and fast.
        budget: the largest admissible cost.
        budget_min: the smallest admissible cost (default 0: no lower bound).
        rescore: an optional second, more precise fitness (e.g. more validation images);
            :func:`evogroup.search` calls it on the final top-K only and reports both numbers.
        limits: further bounds ``limit.cost(G) <= limit.budget`` that every genome must
            also satisfy (:class:`Limit`; e.g. a latency budget beside the FLOP budget).
        proxy: the fitness only stands in for what the result is judged by (a weight-sharing
            supernet's accuracy for the retrained network's), so its errors are not noise a
            second call would average away: a strategy may trust what many genomes share
            over any one score (``guided`` then recommends by its denoised estimate).

    Example:
        >>> space = SearchSpace.from_channels([8, 8])
        >>> cost = CostTable([{g: 8 / g for g in (1, 2, 4, 8)}] * 2)
        >>> p = Problem(space, fitness=lambda g: -sum(g), cost=cost, budget=6.0)
        >>> p.feasible((2, 4)), p.feasible((1, 1))
        (True, False)
    """

    space: SearchSpace
    fitness: Fitness
    cost: Cost
    budget: float
    budget_min: float = 0.0
    rescore: Fitness | None = None
    proxy: bool = False
    limits: tuple[Limit, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace, but got {type(self.space).__name__}")
        if not callable(self.fitness) or not callable(self.cost):
            raise TypeError("fitness and cost must be callables taking a genome")
        budget = float(self.budget)
        if not math.isfinite(budget) or budget <= 0:
            raise InvalidValueError(f"budget > 0 must hold, but got budget={self.budget!r}")
        object.__setattr__(self, "budget", budget)
        low = float(self.budget_min)
        if not 0 <= low <= budget:
            raise InvalidValueError(
                "0 <= budget_min <= budget must hold,"
                f" but got (budget_min={self.budget_min!r}, budget={self.budget!r})"
            )
        object.__setattr__(self, "budget_min", low)
        if self.rescore is not None and not callable(self.rescore):
            raise TypeError("rescore must be None or a callable taking a genome")
        if isinstance(self.cost, CostTable):
            self.cost.check_space(self.space)
        object.__setattr__(self, "limits", tuple(self.limits))
        for limit in self.limits:
            if not isinstance(limit, Limit):
                raise TypeError(f"limits must be Limit objects, but got {type(limit).__name__}")
            if isinstance(limit.cost, CostTable):
                limit.cost.check_space(self.space)

    def feasible(self, genome: Genome) -> bool:
        """Whether ``genome`` is within the budget range and under every limit."""
        return self.budget_min <= self.cost(genome) <= self.budget and self.within_limits(genome)

    def within_limits(self, genome: Genome) -> bool:
        """Whether ``genome`` satisfies every :attr:`limits` (true when there are none)."""
        return all(limit.holds(genome) for limit in self.limits)

    def within(self, cost: float) -> bool:
        """Whether a cost lies in ``[budget_min, budget]``."""
        return self.budget_min <= cost <= self.budget

    @classmethod
    def unscored(
        cls,
        space: SearchSpace,
        cost: Cost,
        budget: float,
        budget_min: float = 0.0,
        limits: tuple[Limit, ...] = (),
    ) -> Problem:
        """A problem that only bounds genomes (to check a budget range, or to draw genomes
        within it): its fitness is never to be called."""
        return cls(space, _never_scored, cost, budget, budget_min, limits=limits)


def _never_scored(genome: Genome) -> float:
    raise AssertionError(f"a problem built only to bound genomes scored {list(genome)}")
