r"""Random one- and two-gene neighbours of a few genomes, within the budget range, drawn in bulk.

A neighbour of :math:`G` takes one or two of its genes (equally likely; two distinct
layers) and redraws each uniformly among that layer's *other* values. Draws are made in
batches with numpy (choice indices, then values); with a :class:`~evogroup.core.cost.CostTable`
the batch's costs are summed in numpy in the table's own order, so they equal the table's
call bit for bit, and only the candidates within the range become Python tuples. A search
asks for thousands of draws per iteration, most of them repeats or out of range.
"""

from __future__ import annotations

import random
from collections.abc import Container, Sequence

import numpy as np

from evogroup.core.cost import CostTable
from evogroup.core.problem import Problem
from evogroup.core.space import Genome

BATCH = 4  # draws per batch, per neighbour asked for


class Neighbours:
    """Draws neighbours of genomes of ``problem``'s space that lie within its range.

    Example:
        >>> from evogroup import CostTable, Problem, SearchSpace
        >>> space = SearchSpace.from_channels([4, 4, 4])
        >>> table = CostTable([{g: 4 / g for g in (1, 2, 4)}] * 3)
        >>> found = Neighbours(Problem(space, sum, table, 12.0)).draw(
        ...     [(2, 2, 2)], 5, set(), 50, random.Random(0))
        >>> len(found), all(sum(a != b for a, b in zip(g, (2, 2, 2))) in (1, 2) for g in found)
        (5, True)
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        layers = problem.space.layers
        self.values = [np.asarray(layer.choices, dtype=np.int64) for layer in layers]
        self.index = [{int(g): i for i, g in enumerate(v)} for v in self.values]
        self.costs = None
        if isinstance(problem.cost, CostTable):
            table = problem.cost.table
            self.costs = [
                np.array([table[i][g] for g in layer.choices]) for i, layer in enumerate(layers)
            ]

    def draw(
        self,
        genomes: Sequence[Genome],
        count: int,
        taken: Container[Genome],
        attempts: int,
        rng: random.Random,
    ) -> list[Genome]:
        """Up to ``count`` distinct neighbours of ``genomes`` within the range and not in
        ``taken``, in the order drawn, from at most ``attempts`` draws. ``rng`` gives one
        seed, so the result is a function of its state."""
        if count <= 0 or not genomes:
            return []
        gen = np.random.default_rng(rng.getrandbits(64))
        start = np.array([[self.index[i][g] for i, g in enumerate(G)] for G in genomes])
        found: dict[Genome, None] = {}
        checked = set(map(tuple, genomes))  # a genome is not its own neighbour
        drawn = 0
        while len(found) < count and drawn < attempts:
            batch = min(attempts - drawn, BATCH * count)
            drawn += batch
            for genome in self._in_range(self._redrawn(start, batch, gen)):
                if genome in checked:
                    continue
                checked.add(genome)
                if genome not in taken and (
                    (self.costs is not None and not self.problem.limits)
                    or self.problem.feasible(genome)
                ):
                    found[genome] = None
                    if len(found) >= count:
                        break
        return list(found)

    def _redrawn(self, start: np.ndarray, n: int, gen: np.random.Generator) -> np.ndarray:
        """``n`` draws as rows of choice indices: a row of ``start`` with one or two genes
        changed to another index of their layer."""
        rows = start[gen.integers(len(start), size=n)]
        layers = rows.shape[1]
        changed = np.where(gen.random(n) < 0.5, 1, 2) if layers > 1 else np.ones(n, int)
        order = np.argsort(gen.random((n, layers)), axis=1)  # a random order of layers per row
        for slot in range(min(2, layers)):
            for layer, values in enumerate(self.values):
                here = (changed > slot) & (order[:, slot] == layer)
                if len(values) < 2 or not here.any():
                    continue
                other = gen.integers(len(values) - 1, size=int(here.sum()))
                rows[here, layer] = other + (other >= rows[here, layer])
        return rows

    def _in_range(self, rows: np.ndarray) -> list[Genome]:
        """The genomes of ``rows`` (choice indices); when the cost is a table, only those
        within the range, summed as :class:`CostTable` sums, so exactly its value (for any
        other cost :meth:`draw` calls ``problem.feasible``)."""
        if self.costs is not None:
            total = np.full(len(rows), self.problem.cost.constant)
            for i, costs in enumerate(self.costs):
                total = total + costs[rows[:, i]]
            rows = rows[(self.problem.budget_min <= total) & (total <= self.problem.budget)]
        genes = np.column_stack([v[rows[:, i]] for i, v in enumerate(self.values)])
        return [tuple(row) for row in genes.tolist()]
