r"""A cheap surrogate of fitness: one-hot ridge regression, an additive score per (layer, choice).

.. math::

    \hat f(G) = \bar y + \sigma_y \sum_l w_l[G_l], \qquad
    w = (X^\top X + \lambda I)^{-1} X^\top \frac{y - \bar y}{\sigma_y}

where :math:`X` one-hot encodes each genome's choices. Read as Bayesian linear
regression (prior :math:`w \sim N(0, s^2/\lambda)`), the posterior of :math:`w` is
:math:`N(w, s^2 (X^\top X + \lambda I)^{-1})` with :math:`s^2` the residual variance;
:meth:`RidgeSurrogate.draw` samples it (Thompson sampling). Being additive, its optimum
under an additive cost is a multiple-choice knapsack (:mod:`evogroup.core.knapsack`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from evogroup.core.space import Genome, SearchSpace


class RidgeSurrogate:
    r"""One-hot ridge regression of fitness on genomes (fit, predict, posterior draws).

    It keeps sufficient statistics (:math:`X^\top X`, :math:`X^\top y`, sums of :math:`y`
    and :math:`y^2`), so :meth:`add` costs nothing per old genome and :meth:`solve` does not
    grow with the history. Solves use a Cholesky factor and triangular substitutions.

    Example:
        >>> space = SearchSpace.from_channels([4, 4])
        >>> model = RidgeSurrogate(space, ridge=1e-6).fit([(1, 1), (2, 1), (1, 4)], [3.0, 2.0, 1.0])
        >>> [round(float(v), 3) for v in model.predict([(2, 4), (1, 1)])]
        [0.0, 3.0]
    """

    def __init__(self, space: SearchSpace, ridge: float = 1.0):
        self.space, self.ridge = space, ridge
        self.index = [{g: j for j, g in enumerate(layer.choices)} for layer in space.layers]
        self.offsets = np.cumsum([0] + [len(layer.choices) for layer in space.layers])
        size = int(self.offsets[-1])
        self.gram, self.xty = np.zeros((size, size)), np.zeros(size)
        self.n, self.sum_y, self.sum_y2 = 0, 0.0, 0.0
        self.weights, self.factor = np.zeros(size), None
        self.mean, self.scale, self.noise = 0.0, 1.0, 0.0

    def encode(self, genomes: Sequence[Genome]) -> np.ndarray:
        """Column indices of the one-hot features: one row per genome, one column per layer."""
        rows = [
            [o + idx[g] for o, idx, g in zip(self.offsets, self.index, genome)]
            for genome in genomes
        ]
        return np.array(rows, dtype=np.int64).reshape(len(genomes), len(self.index))

    def add(self, genomes: Sequence[Genome], fitness: Sequence[float]) -> None:
        """Add evaluations to the statistics (call :meth:`solve` before predicting)."""
        cols, y = self.encode(genomes), np.asarray(fitness, dtype=float)
        np.add.at(self.gram, (cols[:, :, None], cols[:, None, :]), 1.0)
        np.add.at(self.xty, cols, y[:, None])
        self.n += len(y)
        self.sum_y += float(y.sum())
        self.sum_y2 += float(y @ y)

    def fit(self, genomes: Sequence[Genome], fitness: Sequence[float]) -> RidgeSurrogate:
        self.add(genomes, fitness)
        return self.solve()

    def solve(self) -> RidgeSurrogate:
        r"""Weights on the standardized target :math:`t = (y - \bar y)/\sigma_y`, and the
        residual variance :math:`s^2 = \lVert t - Xw \rVert^2 / (n - 1)` from the statistics."""
        if self.n == 0:
            return self
        self.mean = self.sum_y / self.n
        var = max(self.sum_y2 / self.n - self.mean**2, 0.0)
        self.scale = float(np.sqrt(var)) or 1.0
        b = (self.xty - self.mean * np.diag(self.gram)) / self.scale
        self.factor = np.linalg.cholesky(self.gram + self.ridge * np.eye(len(b)))
        self.weights = _upper_solve(self.factor, _lower_solve(self.factor, b))
        rss = self.n * var / self.scale**2 - 2 * self.weights @ b
        rss += self.weights @ self.gram @ self.weights
        self.noise = max(float(rss) / max(self.n - 1, 1), 1e-12)
        return self

    def predict(self, genomes: Sequence[Genome]) -> np.ndarray:
        if not genomes:
            return np.zeros(0)
        return self.mean + self.scale * self.weights[self.encode(genomes)].sum(axis=1)

    def values(self, weights: np.ndarray | None = None) -> list[np.ndarray]:
        """Per-layer scores of each choice, in the space's order (for the knapsack)."""
        w = self.weights if weights is None else weights
        return [w[a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def draw(self, rng: random.Random) -> np.ndarray:
        r"""Weights drawn from the posterior :math:`N(w, s^2 (LL^\top)^{-1})`, seeded from ``rng``:
        :math:`w + s L^{-\top} z` with :math:`z \sim N(0, I)`."""
        z = np.random.default_rng(rng.getrandbits(64)).standard_normal(len(self.weights))
        return self.weights + np.sqrt(self.noise) * _upper_solve(self.factor, z)


def _lower_solve(lower: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve :math:`Lx = b` for a lower-triangular :math:`L` by forward substitution."""
    x = np.zeros_like(b)
    for i in range(len(b)):
        x[i] = (b[i] - lower[i, :i] @ x[:i]) / lower[i, i]
    return x


def _upper_solve(lower: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Solve :math:`L^\top x = b` by back substitution."""
    x = np.zeros_like(b)
    for i in reversed(range(len(b))):
        x[i] = (b[i] - lower[i + 1 :, i] @ x[i + 1 :]) / lower[i, i]
    return x
