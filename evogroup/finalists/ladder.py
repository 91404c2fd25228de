r"""Successive halving (Jamieson & Talwalkar, 2016) over a ladder of fidelities.

Rung :math:`0` trains :math:`n_0 = k` finalists with the cheapest fidelity; rung
:math:`i+1` trains the best :math:`n_{i+1} = \max(1, \lfloor n_i / \eta \rfloor)` of rung
:math:`i` (by rung :math:`i`'s score; a finalist whose training failed is never promoted)
with the next fidelity. The winner is the best of the last rung reached. With
:math:`R` fidelities the stage costs :math:`\sum_i n_i` trainings, of which :math:`k`
are at the cheapest fidelity.
"""

from __future__ import annotations

from collections.abc import Sequence

from evogroup.core.space import Genome
from evogroup.finalists.records import Trained


def rung_sizes(k: int, rungs: int, eta: int) -> list[int]:
    """How many finalists each rung trains: ``k``, then each rung's over ``eta`` (at least 1).

    Example:
        >>> rung_sizes(16, 3, 3), rung_sizes(4, 2, 3), rung_sizes(9, 1, 2)
        ([16, 5, 1], [4, 1], [9])
    """
    sizes = [k]
    for _ in range(rungs - 1):
        sizes.append(max(1, sizes[-1] // eta))
    return sizes


def promoted(rung: Sequence[Trained], count: int) -> list[Genome]:
    """The ``count`` best-scored genomes of one rung, best first (earlier first on ties)."""
    scored = [t for t in rung if t.score is not None]
    order = sorted(range(len(scored)), key=lambda i: (-scored[i].score, i))
    return [scored[i].genome for i in order[:count]]


def winner(rung: Sequence[Trained]) -> Genome | None:
    """The best-scored genome of a rung (None when every training in it failed)."""
    best = promoted(rung, 1)
    return best[0] if best else None
