"""Genetic operators as pure functions: every random draw comes from an explicit ``random.Random``.

They take and return genomes (tuples of group counts) and never mutate their inputs.
"""

from __future__ import annotations

import itertools
import random

from evogroup.core.budget_range import check_budget_range, extreme_genomes
from evogroup.core.cost import CostTable
from evogroup.core.errors import InfeasibleBudgetError
from evogroup.core.problem import Problem
from evogroup.core.space import Genome, SearchSpace
from evogroup.core.units import format_flops


def sample(space: SearchSpace, rng: random.Random) -> Genome:
    """A genome drawn uniformly from each layer's choices."""
    return tuple(rng.choice(layer.choices) for layer in space.layers)


def sample_feasible(problem: Problem, rng: random.Random, tries: int = 10) -> Genome:
    """A uniform sample under the budget: rejection sampling for ``tries`` draws, then repair."""
    for _ in range(tries):
        genome = sample(problem.space, rng)
        if problem.feasible(genome):
            return genome
    return repair(genome, problem, rng)


def crossover(a: Genome, b: Genome, rng: random.Random, swap_prob: float = 0.5) -> Genome:
    """Uniform crossover: each gene comes from ``b`` with probability ``swap_prob``, else from ``a``."""
    return tuple(y if rng.random() < swap_prob else x for x, y in zip(a, b, strict=True))


def mutate(genome: Genome, space: SearchSpace, rng: random.Random, prob: float = 0.1) -> Genome:
    """Per-gene mutation: each gene is redrawn uniformly from its layer's choices with probability ``prob``."""
    return tuple(
        rng.choice(layer.choices) if rng.random() < prob else g
        for layer, g in zip(space.layers, genome, strict=True)
    )


def min_cost_genome(problem: Problem) -> Genome:
    """The cheapest genome: exact for a :class:`CostTable`, else every layer at its largest group count."""
    return extreme_genomes(problem.space, problem.cost)[0]


def max_cost_genome(problem: Problem) -> Genome:
    """The most expensive genome: exact for a :class:`CostTable`, else every layer at its smallest group count."""
    return extreme_genomes(problem.space, problem.cost)[1]


def check_feasible(problem: Problem) -> None:
    """Raise :class:`InfeasibleBudgetError` when no genome costs within ``[budget_min, budget]``:
    :func:`evogroup.core.budget_range.check_budget_range` (the check's one owner) on
    ``problem``'s space, cost and range; with :attr:`Problem.limits`, also when no genome in
    the range is under every limit."""
    check_budget_range(problem.space, problem.cost, problem.budget, problem.budget_min)
    if problem.limits:
        _check_limits(problem)


def _check_limits(problem: Problem) -> None:
    """Each limit alone, naming the genome of least second cost; then all bounds together."""
    for limit in problem.limits:
        if isinstance(limit.cost, CostTable) and limit.cost.min_cost > limit.budget:
            fastest = limit.cost.min_genome()
            raise InfeasibleBudgetError(
                f"{limit.label} budget {limit.budget:.6g} is below the least {limit.label}"
                f" {limit.cost.min_cost:.6g} of any genome (genome {list(fastest)})",
                budget=limit.budget,
                min_cost=limit.cost.min_cost,
                genome=fastest,
            )
    if _search_in_range(problem, random.Random(0)) is None:
        cheap = min_cost_genome(problem)
        raise InfeasibleBudgetError(
            f"no genome is within [budget_min, budget] = [{format_flops(problem.budget_min)},"
            f" {format_flops(problem.budget)}] and under "
            + ", ".join(f"{lim.label} {lim.budget:.6g}" for lim in problem.limits),
            budget=problem.budget,
            min_cost=problem.cost(cheap),
            genome=cheap,
        )


def repair(genome: Genome, problem: Problem, rng: random.Random | None = None) -> Genome:
    r"""Move genes until ``budget_min <= cost(genome) <= budget``.

    Over budget, genes move to cheaper choices (with FLOP costs: larger group counts). Each
    step considers, for every layer, the cheapest of its other choices, and takes one of the
    moves that lowers the cost: the one saving most when ``rng`` is None, else one drawn with
    probability proportional to its saving
    :math:`\Delta_l = \mathrm{cost}(G) - \mathrm{cost}(G[l \leftarrow g'_l])`, which keeps
    repaired children diverse. Under ``budget_min``, genes move the other way, to the dearest
    choice that stays within the budget, weighted by the (capped) rise
    :math:`\min(\mathrm{cost}', \mathrm{budget\_min}) - \mathrm{cost}`. A feasible genome is
    returned unchanged, so ``repair(repair(g)) == repair(g)``.

    Raises:
        InfeasibleBudgetError: no move is left and the genome is still out of range.
    """
    current = list(problem.space.validate(genome))
    if problem.limits:
        return _repair_jointly(problem, current, rng)
    cost = problem.cost(tuple(current))
    try:
        while cost > problem.budget:
            cost = _step(problem, current, cost, rng, lower=True)
        while cost < problem.budget_min:
            cost = _step(problem, current, cost, rng, lower=False)
    except InfeasibleBudgetError as stuck:  # a non-additive cost can trap greedy moves
        found = _search_in_range(problem, rng or random.Random(0))
        if found is None:
            raise stuck from None
        return found
    return tuple(current)


_EXHAUSTIVE = 100_000  # spaces up to this size are enumerated when greedy repair is stuck


def _search_in_range(problem: Problem, rng: random.Random) -> Genome | None:
    """A feasible genome when greedy moves got stuck (only possible with a cost that is not
    a :class:`CostTable`, or under limits): an exact depth-first search when every cost is a
    table, else every genome of a small space in a random order, else ``_EXHAUSTIVE``
    uniform draws; None when none is feasible."""
    space = problem.space
    if _all_tables(problem):
        from evogroup.core.knapsack import find_in_range

        bounds = [(lim.cost, lim.budget) for lim in problem.limits]
        return find_in_range(
            problem.cost, space, problem.budget_min, problem.budget, rng, 10**6, bounds
        )
    if space.size <= _EXHAUSTIVE:
        candidates = list(itertools.product(*(layer.choices for layer in space.layers)))
        rng.shuffle(candidates)
    else:
        candidates = (sample(space, rng) for _ in range(_EXHAUSTIVE))
    for genome in candidates:
        if problem.feasible(tuple(genome)):
            return tuple(genome)
    return None


def _all_tables(problem: Problem) -> bool:
    return all(isinstance(c, CostTable) for c in (problem.cost, *(x.cost for x in problem.limits)))


def violation(problem: Problem, genome: Genome) -> float:
    """How far ``genome`` is from feasible: the sum of each bound's overshoot relative to it
    (0 exactly when :meth:`Problem.feasible`)."""
    cost = problem.cost(genome)
    total = max(0.0, cost - problem.budget) + max(0.0, problem.budget_min - cost)
    total /= problem.budget
    for limit in problem.limits:
        total += max(0.0, limit.cost(genome) - limit.budget) / limit.budget
    return total


def _repair_jointly(problem: Problem, current: list[int], rng: random.Random | None) -> Genome:
    """Repair under the budget range and every limit: single-gene moves that lower
    :func:`violation`, the largest drop (``rng`` None) or one drawn in proportion to its
    drop; an exact or exhaustive search when no move lowers it."""
    gap = violation(problem, tuple(current))
    while gap > 0:
        moves = []
        for i, layer in enumerate(problem.space.layers):
            for g in layer.choices:
                if g != current[i]:
                    after = violation(problem, (*current[:i], g, *current[i + 1 :]))
                    if after < gap:
                        moves.append((gap - after, i, g, after))
        if not moves:
            found = _search_in_range(problem, rng or random.Random(0))
            if found is None:
                check_feasible(problem)  # names the bound no genome meets
                raise InfeasibleBudgetError(
                    f"repair could not bring genome {current} within every bound",
                    budget=problem.budget,
                    min_cost=problem.cost(tuple(current)),
                    genome=tuple(current),
                )
            return found
        if rng is None:
            _, i, g, gap = max(moves, key=lambda m: (m[0], -m[1], -m[2]))
        else:
            _, i, g, gap = rng.choices(moves, weights=[m[0] for m in moves])[0]
        current[i] = g
    return tuple(current)


def _step(problem: Problem, current: list[int], cost: float, rng, lower: bool) -> float:
    """One repair move, in place; returns the new cost."""
    moves = []
    for i, layer in enumerate(problem.space.layers):
        after = {
            g: cost_after(problem, current, cost, i, g) for g in layer.choices if g != current[i]
        }
        if not lower:
            after = {g: c for g, c in after.items() if c <= problem.budget}
        pick = (min if lower else max)(after, key=after.__getitem__, default=None)
        if pick is not None:
            gain = cost - after[pick] if lower else min(after[pick], problem.budget_min) - cost
            if gain > 0:
                moves.append((gain, i, pick, after[pick]))
    if not moves:
        check_feasible(problem)
        raise InfeasibleBudgetError(  # non-additive cost: greedy moves got stuck
            f"repair could not bring the cost {format_flops(cost)} within [{format_flops(problem.budget_min)},"
            f" {format_flops(problem.budget)}] from genome {current}",
            budget=problem.budget,
            min_cost=cost,
            genome=tuple(current),
        )
    if rng is None:
        _, i, g, _ = max(moves, key=lambda m: (m[0], -m[1]))
    else:
        _, i, g, _ = rng.choices(moves, weights=[m[0] for m in moves])[0]
    current[i] = g
    return problem.cost(tuple(current))


def cost_after(problem: Problem, genes: list[int], cost: float, i: int, g: int) -> float:
    """The cost once gene ``i`` becomes ``g``: a table lookup for a CostTable, else a cost call."""
    if isinstance(problem.cost, CostTable):
        row = problem.cost.table[i]
        return cost - row[genes[i]] + row[g]
    return problem.cost(tuple(genes[:i]) + (g,) + tuple(genes[i + 1 :]))
