r"""Dynamic programming over an additive cost table: the budgeted optimum and uniform sampling.

With a :class:`~evogroup.core.cost.CostTable`, :math:`\mathrm{cost}(G) = c_0 + \sum_l T_l[G_l]`,
so maximizing an additive score :math:`\sum_l v_l[G_l]` within
:math:`[\mathrm{lo}, \mathrm{hi}]` is a multiple-choice knapsack, solved by dynamic
programming over (layer, cost bucket).

**Discretization.** Each layer's cost above its cheapest choice,
:math:`d_{l,g} = T_l[g] - \min_{g'} T_l[g']`, is rounded to a whole number of buckets of
width :math:`\delta = (\mathrm{hi} - \mathrm{min\_cost}) / R` (``resolution`` :math:`R`,
2048 by default; with a lower bound, finer, down to :math:`(\mathrm{hi} - \mathrm{lo}) /
(2L + 2)` but at most 32 times finer, so that a narrow range spans several buckets). A genome's bucket total differs from its exact cost (in buckets) by at most
:math:`L/2` for :math:`L` layers, so only genomes within :math:`L\delta/2` of a bound can
be misjudged: the DP keeps the best score per bucket total, so near a bound a slightly better
genome just outside it can hide a feasible one of the same total (within 0.4 % of the budget
range for 18 layers). Every genome returned is checked against the exact cost, so it is
always within the bounds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evogroup.core.cost import CostTable
from evogroup.core.space import Genome, SearchSpace

RESOLUTION = 2048
MAX_REFINE = 32  # a lower bound may refine the buckets up to 32x (65,536 buckets)


@dataclass(frozen=True)
class Grid:
    """A cost table rounded to buckets, for genomes costing ``lo <= cost <= hi``.

    Attributes:
        choices: each layer's group counts, in the space's order.
        buckets: each layer's rounded extra cost per choice (an int array).
        low, high: the bounds in buckets, widened by ``L/2`` on each side so that rounding
            never excludes a genome within ``[lo, hi]`` (the exact check then decides).
        width: the cost of one bucket.
    """

    table: CostTable
    choices: tuple[tuple[int, ...], ...]
    buckets: tuple[np.ndarray, ...]
    lo: float
    hi: float
    low: int
    high: int
    width: float

    @classmethod
    def build(
        cls,
        table: CostTable,
        space: SearchSpace,
        lo: float,
        hi: float,
        resolution: int = RESOLUTION,
    ) -> Grid:
        base = [min(row.values()) for row in table.table]
        choices = tuple(layer.choices for layer in space.layers)
        width = (hi - table.min_cost) / resolution
        if lo > table.min_cost and hi > lo:  # a narrow range needs buckets finer than it
            width = min(width, max((hi - lo) / (2 * len(choices) + 2), width / MAX_REFINE))
        width = width if width > 0 else 1.0
        slack = (len(choices) + 1) // 2  # rounding moves a total by at most L/2 buckets
        low = math.ceil((lo - table.min_cost) / width - 1e-9) - slack
        high = math.floor((hi - table.min_cost) / width + 1e-9) + slack
        buckets = tuple(
            np.array([_bucket((row[g] - b) / width, high) for g in cs], dtype=np.int64)
            for row, b, cs in zip(table.table, base, choices)
        )
        return cls(table, choices, buckets, lo, hi, low, high, width)

    def fits(self, genome: Genome) -> bool:
        return self.lo <= self.table(genome) <= self.hi


def _bucket(extra: float, high: int) -> int:
    """``extra`` rounded to whole buckets; any count past ``high`` is ``high + 1``: such a
    choice alone leaves the range, and a range far narrower than the table's spread (a
    budget just above the cheapest genome) would otherwise give counts past int64."""
    return high + 1 if extra > high + 1 else round(extra)


def best_genome(
    grid: Grid, values: Sequence[Sequence[float]], accept: Callable[[Genome], bool] | None = None
) -> Genome | None:
    r"""The genome maximizing :math:`\sum_l v_l[G_l]` within the grid's bounds (None if none found).

    ``values[l][j]`` scores the ``j``-th choice of layer ``l``. The DP table
    :math:`V_l[b] = \max_{g} V_{l-1}[b - k_{l,g}] + v_l[g]` is filled for bucket totals up
    to ``high``; final totals in ``[low, high]`` are tried best first until one's genome is
    accepted: its exact cost fits (``grid.fits``), or ``accept`` says so (for a grid built on
    an approximation of the cost, ``accept`` checks the true one).
    """
    accept = grid.fits if accept is None else accept
    size = grid.high + 1
    if size <= 0:
        return None
    table = np.full(size, -np.inf)
    table[0] = 0.0
    picks = []
    for ks, vs in zip(grid.buckets, values):
        cand = np.full((len(ks), size), -np.inf)
        for j, (k, v) in enumerate(zip(ks, vs)):
            if k < size:
                cand[j, k:] = table[: size - k] + v
        pick = cand.argmax(axis=0)  # the first (smallest group count) on ties
        table = cand[pick, np.arange(size)]
        picks.append(pick)
    ends = np.arange(max(grid.low, 0), size)
    ends = ends[np.isfinite(table[ends])]
    for end in ends[np.argsort(-table[ends], kind="stable")]:
        genome = _backtrack(grid, picks, int(end))
        if accept(genome):
            return genome
    return None


def best_genome_bounded(
    grid: Grid,
    values: Sequence[Sequence[float]],
    bound: CostTable,
    accept: Callable[[Genome], bool],
    steps: int = 40,
) -> Genome | None:
    r"""The best genome within the grid's range that ``accept`` takes, when ``accept`` also
    asks for a second cost to stay low (``bound``, e.g. latency): Lagrangian relaxation.

    The knapsack is solved on :math:`v_l[g] - \lambda\, b_l[g]` for a growing penalty
    :math:`\lambda \ge 0` on the second cost's rows :math:`b_l`; a larger :math:`\lambda`
    trades score for a lower second cost. :math:`\lambda` doubles from the ratio of the
    scores' spread to the second cost's spread until a genome is accepted, then is bisected
    down; of every accepted genome the best by :math:`\sum_l v_l[G_l]` is returned.
    """
    rows = [
        np.array([bound.table[i][g] for g in cs], dtype=float) for i, cs in enumerate(grid.choices)
    ]
    spread = sum(float(np.ptp(v)) for v in map(np.asarray, values)) or 1.0
    scale = spread / (sum(float(np.ptp(r)) for r in rows) or 1.0)
    found: list[Genome] = []

    def solve(lam: float) -> bool:
        genome = best_genome(
            grid, [np.asarray(v) - lam * r for v, r in zip(values, rows)], grid.fits
        )
        if genome is not None and accept(genome):
            found.append(genome)
            return True
        return False

    low, high = 0.0, None
    if not solve(0.0):
        lam = scale / 1024
        for _ in range(steps // 2):
            if solve(lam):
                high = lam
                break
            low, lam = lam, lam * 2
        if high is not None:
            for _ in range(steps // 2):
                mid = (low + high) / 2
                low, high = (low, mid) if solve(mid) else (mid, high)
    score = lambda g: sum(v[cs.index(x)] for v, cs, x in zip(values, grid.choices, g))  # noqa: E731
    return max(found, key=score, default=None)


def _backtrack(grid: Grid, picks: list[np.ndarray], end: int) -> Genome:
    genome = []
    for cs, ks, pick in zip(reversed(grid.choices), reversed(grid.buckets), reversed(picks)):
        j = int(pick[end])
        genome.append(cs[j])
        end -= int(ks[j])
    return tuple(reversed(genome))


class UniformSampler:
    r"""Draws genomes uniformly among those whose bucket total lies in ``[low, high]``.

    Suffix counts :math:`N_l[b]` (genomes of layers :math:`l..L` whose buckets sum to
    :math:`b`) are computed once; layer :math:`l`'s choice :math:`g` is then drawn with
    weight :math:`\#\{t : \mathrm{low} \le s + k_{l,g} + t \le \mathrm{high}\}` counted in
    :math:`N_{l+1}`, for a prefix total :math:`s`. A draw whose exact cost misses the bounds
    (rounding) is drawn again, up to ``tries`` times.
    """

    def __init__(self, grid: Grid):
        self.grid = grid
        size = max(grid.high + 1, 1)
        counts = np.zeros(size)
        counts[0] = 1.0
        self.cumulative = [np.cumsum(counts)]
        for ks in reversed(grid.buckets[1:]):
            new = np.zeros(size)
            for k in ks:
                if k < size:
                    new[k:] += counts[: size - k]
            counts = new
            self.cumulative.append(np.cumsum(counts))
        self.cumulative.reverse()  # cumulative[l]: suffix counts of layers l+1..L

    def empty(self) -> bool:
        """Whether no bucket total reaches ``[low, high]``."""
        return not any(self._ways(0, int(k)) for k in self.grid.buckets[0])

    def _ways(self, layer: int, total: int) -> float:
        """Completions of layers ``layer+1..`` given the bucket total so far."""
        cum = self.cumulative[layer]
        top = min(self.grid.high - total, len(cum) - 1)
        bottom = self.grid.low - total - 1
        if top < 0:
            return 0.0
        return float(cum[top] - (cum[bottom] if bottom >= 0 else 0.0))

    def sample(self, rng: random.Random, tries: int = 20) -> Genome | None:
        for _ in range(tries):
            total, genome = 0, []
            for layer, (cs, ks) in enumerate(zip(self.grid.choices, self.grid.buckets)):
                weights = [self._ways(layer, total + int(k)) for k in ks]
                if not any(weights):
                    return None
                j = rng.choices(range(len(cs)), weights=weights)[0]
                genome.append(cs[j])
                total += int(ks[j])
            if self.grid.fits(tuple(genome)):
                return tuple(genome)
        return None


def find_in_range(
    table: CostTable,
    space: SearchSpace,
    lo: float,
    hi: float,
    rng: random.Random | None = None,
    limit: int = 100_000,
    bounds: Sequence[tuple[CostTable, float]] = (),
) -> Genome | None:
    r"""A genome with ``lo <= cost <= hi`` by exact depth-first search, or None.

    Layer by layer (choices in random order with ``rng``), a prefix of cost :math:`s` is
    pruned when no completion can reach the range:
    :math:`s + \min_\mathrm{rest} > \mathrm{hi}` or :math:`s + \max_\mathrm{rest} < \mathrm{lo}`.
    Each ``(table_k, budget_k)`` of ``bounds`` (a second cost, e.g. latency) must hold too,
    :math:`\mathrm{table}_k(G) \le \mathrm{budget}_k`, and prunes a prefix the same way.
    Exact, with no rounding; None also when ``limit`` prefixes were visited without success.
    """
    tables = [table, *(t for t, _ in bounds)]
    rows = [
        [(g, [t.table[i][g] for t in tables]) for g in layer.choices]
        for i, layer in enumerate(space.layers)
    ]
    low_rest = _rest(rows, min)
    high_rest = [r[0] for r in _rest(rows, max)]
    tops = [hi, *(b for _, b in bounds)]
    visits, genome = [0], []

    def dive(layer: int, costs: list[float]) -> bool:
        visits[0] += 1
        if visits[0] > limit or costs[0] + high_rest[layer] < lo:
            return False
        if any(c + rest > top for c, rest, top in zip(costs, low_rest[layer], tops)):
            return False
        if layer == len(rows):
            g = tuple(genome)
            return lo <= table(g) <= hi and all(t(g) <= b for t, b in bounds)
        order = list(rows[layer])
        if rng is not None:
            rng.shuffle(order)
        for g, cs in order:
            genome.append(g)
            if dive(layer + 1, [c + d for c, d in zip(costs, cs)]):
                return True
            genome.pop()
        return False

    return tuple(genome) if dive(0, [t.constant for t in tables]) else None


def _rest(rows: list, pick: Callable) -> list[list[float]]:
    """``rest[l][k]``: the least (``pick=min``) or most cost ``k`` that layers ``l..`` add."""
    width = len(rows[0][0][1]) if rows else 1
    rest = [[0.0] * width]
    for row in reversed(rows):
        rest.insert(0, [r + pick(cs[k] for _, cs in row) for k, r in enumerate(rest[0])])
    return rest
