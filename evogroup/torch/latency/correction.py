r"""Whole networks are not the sum of their layers: the correction fitted on top of the table.

For sample genomes :math:`G_s` with measured whole-network times :math:`y_s` and table
sums :math:`x_s = \sum_l t_l[G_{s,l}]`, the offset and scale minimize the squared
*relative* error (each genome counts alike, whether it takes 50 ms or 700 ms):

.. math::

    (\alpha, \beta) = \arg\min \sum_s \Bigl(\frac{y_s - \alpha - \beta x_s}{y_s}\Bigr)^2

The errors reported are absolute percentage errors :math:`100\,|\hat y - y| / y`: their
mean (MAPE), 90th percentile and maximum.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from evogroup.core.cost import CostTable
from evogroup.core.operators import sample
from evogroup.core.space import Genome, SearchSpace


def fit_correction(sums: Sequence[float], measured: Sequence[float]) -> tuple[float, float]:
    """``(offset, scale)`` by least squares on relative errors (scale 1, offset the mean
    gap when fewer than two distinct sums)."""
    x, y = np.asarray(sums, float), np.asarray(measured, float)
    if len(set(x.tolist())) < 2:
        return float(np.mean(y - x)), 1.0
    design = np.column_stack([np.ones_like(x), x]) / y[:, None]
    (offset, scale), *_ = np.linalg.lstsq(design, np.ones_like(y), rcond=None)
    return float(offset), float(scale)


def errors(predicted: Sequence[float], measured: Sequence[float]) -> dict[str, float]:
    """``mape``, ``p90`` and ``max`` of the absolute percentage errors."""
    p, y = np.asarray(predicted, float), np.asarray(measured, float)
    pct = 100 * np.abs(p - y) / y
    return {
        "mape": float(pct.mean()),
        "p90": float(np.percentile(pct, 90)),
        "max": float(pct.max()),
    }


def fit_genomes(space: SearchSpace, layers: CostTable, count: int, seed: int = 0) -> list[Genome]:
    """The genomes the correction is fitted on: the table's fastest and slowest (so the fit
    spans the whole range a search can reach), then uniform random ones (every genome of a
    space smaller than ``count``)."""
    rng = random.Random(seed)
    chosen = list(dict.fromkeys([layers.min_genome(), layers.max_genome()]))
    count = min(count, space.size)
    while len(chosen) < count:
        genome = sample(space, rng)
        if genome not in chosen:
            chosen.append(genome)
    return chosen[:count]
