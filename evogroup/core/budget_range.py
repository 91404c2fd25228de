"""The one owner of the budget-range check: does any genome cost within ``[low, high]``?

Every caller asks here: a command once before its run directory is made (through
:meth:`evogroup.Backend.check_budget_range`, which adds the backend's own words), and
:func:`evogroup.search` as the library's guard for a :class:`~evogroup.Problem` built by
hand (:func:`evogroup.core.operators.check_feasible`). A second cost with its own budget
(e.g. a latency) calls the same function with that cost, budget and unit.
"""

from __future__ import annotations

from collections.abc import Callable

from evogroup.core.cost import Cost, CostTable
from evogroup.core.errors import InfeasibleBudgetError, InvalidValueError
from evogroup.core.knapsack import find_in_range
from evogroup.core.space import Genome, SearchSpace
from evogroup.core.units import format_flops


def check_budget_range(
    space: SearchSpace,
    cost: Cost,
    budget: float,
    budget_min: float = 0.0,
    *,
    hint: str | None = None,
    name: str = "budget",
    unit: Callable[[float], str] = format_flops,
) -> None:
    """Raise when no genome of ``space`` has a ``cost`` within ``[budget_min, budget]``.

    Args:
        hint: what to say after "below the smallest reachable cost" (a backend's words).
        name: the budget's name in messages (``budget``; ``latency_budget`` for a second cost).
        unit: how a value of this cost is written.

    Raises:
        InvalidValueError: ``budget_min > budget``.
        InfeasibleBudgetError: naming the cheapest (and the dearest) genome. With a
            :class:`CostTable` a range between them that no genome hits (a gap in the
            reachable costs) is found by an exact depth-first search
            (:func:`evogroup.core.knapsack.find_in_range`).
    """
    if budget_min > budget:
        raise InvalidValueError(
            f"{name}_min <= {name} must hold, but got {unit(budget_min)} > {unit(budget)}"
        )
    cheap, dear = extreme_genomes(space, cost)
    low = cost(cheap)
    if low > budget:
        raise InfeasibleBudgetError.below(budget, low, cheap, hint=hint)
    if budget_min <= low:
        return
    high = cost(dear)
    if budget_min > high or _gap(space, cost, budget, budget_min):
        raise InfeasibleBudgetError(
            f"no genome costs within [{name}_min, {name}] = [{unit(budget_min)},"
            f" {unit(budget)}]: the cheapest genome {list(cheap)} costs"
            f" {unit(low)}, the most expensive {list(dear)} costs {unit(high)}",
            budget=budget,
            min_cost=low,
            genome=cheap,
        )


def extreme_genomes(space: SearchSpace, cost: Cost) -> tuple[Genome, Genome]:
    """The cheapest and the dearest genome: exact for a :class:`CostTable`, else every layer
    at its largest (cheapest) and smallest group count."""
    if isinstance(cost, CostTable):
        return cost.min_genome(), cost.max_genome()
    layers = space.layers
    return tuple(layer.choices[-1] for layer in layers), tuple(layer.choices[0] for layer in layers)


def _gap(space: SearchSpace, cost: Cost, budget: float, budget_min: float) -> bool:
    """Whether a cost table reaches no cost in the range (an exact search of up to 10^6 prefixes)."""
    if not isinstance(cost, CostTable):
        return False
    return find_in_range(cost, space, budget_min, budget, limit=10**6) is None
