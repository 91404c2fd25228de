r"""Denoised fitness estimates: the best of many noisy evaluations, without the winner's curse.

A supernet's fitness is measured on a finite validation set, :math:`y_i = f_i +
\varepsilon_i` with :math:`\varepsilon_i \sim N(0, s^2)`, so the largest :math:`y_i` of
a thousand is mostly a lucky draw. With the ridge surrogate's prediction :math:`\mu_i`
(:mod:`evogroup.strategies.surrogate`) as a prior :math:`f_i \sim N(\mu_i, \tau^2)`, the posterior
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
from evogroup.strategies.surrogate import RidgeSurrogate

PRIOR_TRUST = 0.9  # the prior's R^2 from which its denoised estimate ranks the evaluations


def nugget(genomes: Sequence[Genome], residuals: np.ndarray, space: SearchSpace) -> float | None:
    """Half the mean squared residual difference over pairs differing in one gene (None: no pair)."""
    where = {g: i for i, g in enumerate(genomes)}
    squares = []
    for i, genome in enumerate(genomes):
        for layer_index, layer in enumerate(space.layers):
            for g in layer.choices:
                if g > genome[layer_index]:  # each pair once
                    other = genome[:layer_index] + (g,) + genome[layer_index + 1 :]
                    j = where.get(other)
                    if j is not None:
                        squares.append((residuals[i] - residuals[j]) ** 2)
    return 0.5 * float(np.mean(squares)) if squares else None


def denoised(history: Sequence[Evaluation], space: SearchSpace) -> list[tuple[float, Evaluation]]:
    r"""``(estimate, evaluation)`` for every successful evaluation, best estimate first
    (earlier first on ties). Without a neighbour pair the estimate is the fitness itself."""
    ok = [e for e in history if e.ok]
    estimates, _ = _estimates(ok, space)
    order = sorted(range(len(ok)), key=lambda i: -estimates[i])
    return [(float(estimates[i]), ok[i]) for i in order]


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
    estimates, r2 = _estimates(ok, space)
    if proxy or r2 >= PRIOR_TRUST:
        key = lambda i: -estimates[i]  # noqa: E731
    else:
        key = lambda i: (-ok[i].fitness, -estimates[i])  # noqa: E731
    return [ok[i] for i in sorted(range(len(ok)), key=key)]


def _estimates(ok: list[Evaluation], space: SearchSpace) -> tuple[np.ndarray, float]:
    """The denoised estimates of ``ok`` and the prior's :math:`R^2` (0 under 3 evaluations)."""
    y = np.array([e.fitness for e in ok], dtype=float)
    if len(ok) < 3:
        return y, 0.0
    genomes = [e.genome for e in ok]
    mu = RidgeSurrogate(space).fit(genomes, y).predict(genomes)
    residuals = y - mu
    noise, spread = nugget(genomes, residuals, space), float(residuals.var())
    k = 1.0 if noise is None or spread == 0 else max(0.0, 1.0 - noise / spread)
    r2 = 1.0 - spread / float(y.var()) if y.var() > 0 else 0.0
    return mu + k * residuals, r2
