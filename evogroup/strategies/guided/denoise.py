r"""Denoised fitness estimates: the best of many noisy evaluations, without the winner's curse.

A supernet's fitness is measured on a finite validation set, :math:`y_i = f_i +
\varepsilon_i` with :math:`\varepsilon_i \sim N(0, s^2)`, so the largest :math:`y_i` of
a thousand is mostly a lucky draw. With the ridge surrogate's prediction :math:`\mu_i`
(:mod:`evogroup.strategies.guided.surrogate`) as a prior :math:`f_i \sim N(\mu_i, \tau^2)`, the posterior
mean is

.. math::

    \hat f_i = \mu_i + k\,(y_i - \mu_i), \qquad k = \max\Bigl(0, 1 - \frac{s^2}{v}\Bigr)

where :math:`v = \mathrm{Var}(y - \mu) = \tau^2 + s^2`. The noise variance is estimated
as the *nugget* of the residuals' variogram: over pairs of evaluated genomes that differ in
one gene, :math:`\hat s^2 = \tfrac12 \mathrm{mean}\,(r_i - r_j)^2` with
:math:`r = y - \mu`. Neighbours share what the surrogate misses (layer interactions are
smooth), so their residual differences are mostly noise; with a noise-free fitness
:math:`\hat s^2 \ll v`, :math:`k \approx 1` and the ranking is that of :math:`y`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evogroup.core.records import Evaluation
from evogroup.core.space import Genome, SearchSpace
from evogroup.strategies.guided.surrogate import RidgeSurrogate

PRIOR_TRUST = 0.9  # the prior's R^2 from which its denoised estimate ranks the evaluations


def nugget(genomes: Sequence[Genome], residuals: np.ndarray, space: SearchSpace) -> float | None:
    r"""Half the mean squared residual difference over pairs of (distinct) genomes differing
    in one gene (None: no such pair).

    The pairs differing in gene :math:`l` are those that share every other gene: grouped by
    the others, a group of :math:`m` holds :math:`m(m-1)/2` pairs and
    :math:`\sum_{i<j} (r_i - r_j)^2 = m \sum_i (r_i - \bar r)^2`, so each layer costs one
    grouping of the genomes rather than a lookup per genome and value."""
    rows = np.asarray(genomes, dtype=np.int64).reshape(len(genomes), len(space.layers))
    r = np.asarray(residuals, dtype=float)
    total = pairs = 0.0
    for layer in range(rows.shape[1]):
        group = _groups(np.delete(rows, layer, axis=1))
        m = np.bincount(group)
        deviation = r - (np.bincount(group, r) / m)[group]
        total += float(np.sum(m * np.bincount(group, deviation**2)))
        pairs += float(np.sum(m * (m - 1))) / 2
    return 0.5 * total / pairs if pairs else None


def _groups(rows: np.ndarray) -> np.ndarray:
    """A group number per row: equal rows, equal numbers."""
    if rows.shape[1] == 0:
        return np.zeros(len(rows), dtype=np.int64)
    packed = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.itemsize * rows.shape[1])))
    return np.unique(packed.ravel(), return_inverse=True)[1].ravel()


def denoised(history: Sequence[Evaluation], space: SearchSpace) -> list[tuple[float, Evaluation]]:
    r"""``(estimate, evaluation)`` for every successful evaluation, best estimate first
    (earlier first on ties). Without a neighbour pair the estimate is the fitness itself."""
    ok = [e for e in history if e.ok]
    values, _ = estimates(ok, space)
    order = sorted(range(len(ok)), key=lambda i: -values[i])
    return [(float(values[i]), ok[i]) for i in order]


def recommended(
    history: Sequence[Evaluation], space: SearchSpace, proxy: bool = False
) -> list[Evaluation]:
    r"""The successful evaluations, the one to recommend first.

    The denoised estimate leans on the additive prior :math:`\mu`, so it is only as good
    as that prior: when :math:`\mu` explains at least ``PRIOR_TRUST`` of the fitness's
    variance (:math:`R^2`), the order is by the estimate; otherwise (a real landscape whose
    layers interact, where the neighbour differences the nugget reads as noise are mostly
    the landscape's own ruggedness) by fitness, ties broken by the estimate.

    A ``proxy`` fitness (:attr:`evogroup.Problem.proxy`) is ordered by the estimate
    whatever :math:`R^2`: there its ruggedness is partly the proxy's own error (one
    genome's weight-sharing luck), which the per-layer effects, each measured over many
    genomes, average away.
    """
    ok = [e for e in history if e.ok]
    values, r2 = estimates(ok, space)
    if proxy or r2 >= PRIOR_TRUST:
        key = lambda i: -values[i]  # noqa: E731
    else:
        key = lambda i: (-ok[i].fitness, -values[i])  # noqa: E731
    return [ok[i] for i in sorted(range(len(ok)), key=key)]


def estimates(ok: list[Evaluation], space: SearchSpace) -> tuple[np.ndarray, float]:
    r"""The denoised estimates of ``ok`` (successful evaluations) and the additive prior's
    adjusted :math:`R^2`.

    With :math:`n` evaluations and :math:`p = \sum_l (C_l - 1)` free per-choice effects, the
    in-sample :math:`R^2` of the fit is biased upwards by about :math:`p / n` (early in a
    search it is near 1 whatever the landscape), so it is adjusted,
    :math:`1 - (1 - R^2)\,(n - 1) / (n - p - 1)`, and is 0 while :math:`n \le p + 1`."""
    y = np.array([e.fitness for e in ok], dtype=float)
    if len(ok) < 3:
        return y, 0.0
    genomes = [e.genome for e in ok]
    mu = RidgeSurrogate(space).fit(genomes, y).predict(genomes)
    residuals = y - mu
    noise, spread = nugget(genomes, residuals, space), float(residuals.var())
    k = 1.0 if noise is None or spread == 0 else max(0.0, 1.0 - noise / spread)
    return mu + k * residuals, _adjusted_r2(spread, float(y.var()), len(ok), space)


def _adjusted_r2(residual_var: float, var: float, n: int, space: SearchSpace) -> float:
    free = sum(len(layer.choices) - 1 for layer in space.layers)
    if var <= 0 or n <= free + 1:
        return 0.0
    return 1.0 - (residual_var / var) * (n - 1) / (n - free - 1)
