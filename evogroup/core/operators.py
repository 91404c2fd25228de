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
    ``problem``'s space, cost and range."""
    check_budget_range(problem.space, problem.cost, problem.budget, problem.budget_min)


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
    """A genome within ``[budget_min, budget]`` when greedy moves got stuck (only possible
    with a cost that is not a :class:`CostTable`): every genome of a small space in a random
    order, else ``_EXHAUSTIVE`` uniform draws; None when none is in range."""
    space = problem.space
    if space.size <= _EXHAUSTIVE:
        candidates = list(itertools.product(*(layer.choices for layer in space.layers)))
        rng.shuffle(candidates)
    else:
        candidates = (sample(space, rng) for _ in range(_EXHAUSTIVE))
    for genome in candidates:
        if problem.budget_min <= problem.cost(tuple(genome)) <= problem.budget:
            return tuple(genome)
    return None


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
