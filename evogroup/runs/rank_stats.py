r"""Rank correlation between two scorings of the same genomes, with bootstrap intervals.

Kendall's :math:`\tau_b` counts concordant (:math:`C`) and discordant (:math:`D`) pairs,
corrected for ties in either ranking (:math:`T_x`, :math:`T_y` pairs tied in one only):

.. math::

    \tau_b = \frac{C - D}{\sqrt{(C + D + T_x)(C + D + T_y)}}

Spearman's :math:`\rho` is Pearson's correlation of the average ranks. The 95 % interval
is the percentile bootstrap over genomes: resample the :math:`n` pairs with replacement,
recompute the statistic, take the 2.5th and 97.5th percentiles (resamples whose ranking
is constant are dropped: the statistic is undefined there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two equally long sequences (NaN when either is constant).

    Example:
        >>> kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])
        0.666...
    """
    a, b = _pair(x, y)
    dx = np.sign(a[:, None] - a[None, :])
    dy = np.sign(b[:, None] - b[None, :])
    upper = np.triu_indices(len(a), k=1)
    sx, sy = dx[upper], dy[upper]
    product = sx * sy
    concordant_minus_discordant = product.sum()
    untied_x, untied_y = np.count_nonzero(sx), np.count_nonzero(sy)
    if untied_x == 0 or untied_y == 0:
        return math.nan
    return float(concordant_minus_discordant / math.sqrt(untied_x * untied_y))


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (NaN when constant).

    Example:
        >>> spearman_rho([1, 2, 3, 4], [10, 20, 40, 30])
        0.8
    """
    a, b = _pair(x, y)
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = math.sqrt(float((ra**2).sum() * (rb**2).sum()))
    return math.nan if denominator == 0 else float((ra * rb).sum() / denominator)


@dataclass(frozen=True)
class Correlation:
    """A statistic with its percentile-bootstrap 95 % interval."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict:
        return {k: (None if math.isnan(v) else v) for k, v in asdict(self).items()}


def bootstrap(
    stat: Callable[[Sequence[float], Sequence[float]], float],
    x: Sequence[float],
    y: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> Correlation:
    """``stat(x, y)`` and its percentile-bootstrap 95 % interval over resampled pairs."""
    a, b = _pair(x, y)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, len(a), len(a))
        v = stat(a[idx], b[idx])
        if not math.isnan(v):
            values.append(v)
    if not values:
        return Correlation(stat(a, b), math.nan, math.nan)
    low, high = np.percentile(values, [2.5, 97.5])
    return Correlation(stat(a, b), float(low), float(high))


def verdict(tau: Correlation, cost: Correlation | None = None) -> str:
    """One line a person can act on, from Kendall's tau and its interval; with ``cost`` (the
    tau of ranking by cost alone) it also says when the proxy ranks no better than cost.

    Example:
        >>> verdict(Correlation(0.2, -0.3, 0.6), cost=Correlation(0.35, -0.2, 0.8))[:40]
        'not trustworthy: the supernet\'s ranking '
    """
    if math.isnan(tau.value):
        return "no verdict: one of the rankings is constant"
    if tau.low > 0.5:
        line = "trustworthy: the supernet ranks genomes as training from scratch does"
    elif tau.low > 0:
        line = ("usable with care: the supernet's ranking agrees with training from scratch,"
                " but loosely; retrain the top few genomes before choosing one")  # fmt: skip
    else:
        line = ("not trustworthy: the supernet's ranking is not shown to agree with training"
                " from scratch; do not choose a genome by its fitness alone: retrain several"
                " of the best and choose by their accuracy")  # fmt: skip
    if cost is not None and not math.isnan(cost.value) and tau.value <= cost.value:
        line += f"; cost alone ranks them as well (Kendall tau {cost.value:.3f})"
    return line


def _pair(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(
            f"two sequences of equal length >= 2 must be given, but got lengths {len(a)} and {len(b)}"
        )
    return a, b


def _ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), 1-based."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(1, len(a) + 1)
    for value in np.unique(a):
        tied = a == value
        ranks[tied] = ranks[tied].mean()
    return ranks
