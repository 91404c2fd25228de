r"""The accuracy-cost front: the evaluations no other one beats on both fitness and cost.

An evaluation :math:`a` dominates :math:`b` when :math:`f_a \ge f_b` and
:math:`c_a \le c_b` with one of them strict. Sorted by cost, the non-dominated points
have increasing fitness, so the best genome under any budget :math:`B` is the last point
with :math:`c \le B`: one front answers every budget without searching again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from evogroup.core.records import Evaluation


@dataclass(frozen=True)
class Front:
    """Mutually non-dominated evaluations, by increasing cost (and so increasing fitness).

    Example:
        >>> from evogroup.core.records import Evaluation
        >>> points = [Evaluation(0, (1,), 0.9, 10.0), Evaluation(0, (2,), 0.8, 5.0),
        ...           Evaluation(0, (4,), 0.7, 6.0)]
        >>> front = Front.from_history(points)
        >>> [e.genome for e in front.points], front.best_under(7.0).genome
        ([(2,), (1,)], (2,))
    """

    points: tuple[Evaluation, ...]

    @classmethod
    def from_history(cls, history: Iterable[Evaluation]) -> Front:
        """The non-dominated successful evaluations (the earliest of equal points is kept)."""
        ok = sorted(
            (e for e in history if e.ok), key=lambda e: (e.cost, -e.fitness)
        )  # stable: among equal points the earliest comes first
        points: list[Evaluation] = []
        for e in ok:
            if not points or e.fitness > points[-1].fitness:
                points.append(e)
        return cls(tuple(points))

    def best_under(self, budget: float, budget_min: float = 0.0) -> Evaluation | None:
        """The fittest point with ``budget_min <= cost <= budget`` (the cheapest on ties), or None."""
        inside = [e for e in self.points if budget_min <= e.cost <= budget]
        return inside[-1] if inside else None

    def hypervolume(self, ref_cost: float, ref_fitness: float) -> float:
        r"""The area the front dominates up to the reference point:
        :math:`\sum_i (c_{i+1} - c_i)(f_i - f_\mathrm{ref})`, with :math:`c_{n+1} = c_\mathrm{ref}`,
        over the points with :math:`c_i \le c_\mathrm{ref}` and :math:`f_i \ge f_\mathrm{ref}`."""
        inside = [e for e in self.points if e.cost <= ref_cost and e.fitness >= ref_fitness]
        edges = [e.cost for e in inside[1:]] + [ref_cost]
        return sum((c - e.cost) * (e.fitness - ref_fitness) for e, c in zip(inside, edges))

    def __len__(self) -> int:
        return len(self.points)
