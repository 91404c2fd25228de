r"""A surrogate that sees layer interactions: kernel ridge regression (a Gaussian process mean)
on genomes with an additive-plus-pairwise kernel, its hyperparameters chosen by leave-one-out.

With :math:`m(a, b)` the number of layers on which genomes :math:`a` and :math:`b` agree
(out of :math:`L`), one-hot features per layer give the inner product :math:`m`, and
one-hot features per *pair* of layers give :math:`\binom{m}{2}`. The kernel

.. math::

    k(a, b) = \frac{m}{L} + \rho \, \binom{m}{2} \Big/ \binom{L}{2}

is therefore ridge regression on every per-layer and every pairwise effect at once,
without writing the :math:`O(L^2 C^2)` features down. With :math:`K` the kernel of the
evaluated genomes and standardized targets :math:`t`, the fit is
:math:`\alpha = (K + \lambda I)^{-1} t` and the prediction :math:`k(G, \cdot)\,\alpha`.
The leave-one-out residuals come in closed form,
:math:`e_i = \alpha_i / [(K + \lambda I)^{-1}]_{ii}`, for every :math:`\lambda` from one
eigendecomposition :math:`K = Q \Lambda Q^\top` per :math:`\rho`
(:math:`[(K + \lambda I)^{-1}]_{ii} = \sum_j Q_{ij}^2 / (\Lambda_j + \lambda)`), so :math:`(\rho, \lambda)` is picked
from a small grid by the smallest :math:`\sum_i e_i^2`, and :math:`1 - \sum e_i^2 / \sum
t_i^2` is the model's measured skill (its leave-one-out :math:`R^2`).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from evogroup.core.space import Genome

PAIRWISE = (0.0, 1.0, 4.0)  # rho: weight of the pairwise kernel
RIDGE = (0.03, 0.3, 3.0)  # lambda: ridge (noise) term


class InteractionModel:
    """Fit once on the evaluated genomes; predict any others.

    Example:
        >>> genomes = [(a, b) for a in (1, 2, 4) for b in (1, 2)]
        >>> model = InteractionModel(genomes, [a * b for a, b in genomes])
        >>> bool(model.predict([(4, 2)])[0] > model.predict([(1, 1)])[0])
        True
    """

    def __init__(self, genomes: Sequence[Genome], fitness: Sequence[float], ranks: bool = True):
        self.genomes = np.asarray(genomes, dtype=np.int64)
        y = normal_scores(fitness) if ranks else np.asarray(fitness, dtype=float)
        self.mean, self.scale = float(y.mean()), float(y.std()) or 1.0
        t = (y - self.mean) / self.scale
        agree = _agreement(self.genomes, self.genomes)
        best = None
        for rho in PAIRWISE:
            values, vectors = np.linalg.eigh(_kernel(agree, rho, self.genomes.shape[1]))
            projected, squares = vectors.T @ t, vectors**2
            for ridge in RIDGE:
                alpha = vectors @ (projected / (values + ridge))
                loo = float(np.sum((alpha / (squares @ (1.0 / (values + ridge)))) ** 2))
                if best is None or loo < best[0]:
                    best = (loo, rho, alpha, ridge)
        loo, self.rho, self.alpha, self.ridge = best
        self.fitted = self.mean + self.scale * (t - self.ridge * self.alpha)
        self.skill = 1.0 - loo / max(float(t @ t), 1e-12)

    def predict(self, genomes: Sequence[Genome]) -> np.ndarray:
        if not len(genomes):
            return np.zeros(0)
        agree = _agreement(np.asarray(genomes, dtype=np.int64), self.genomes)
        return self.mean + self.scale * _kernel(agree, self.rho, self.genomes.shape[1]) @ self.alpha


def normal_scores(values: Sequence[float]) -> np.ndarray:
    """Ranks mapped to standard normal quantiles (ties share their mean rank)."""
    y = np.asarray(values, dtype=float)
    ranks = np.empty(len(y))
    ranks[np.argsort(y, kind="stable")] = np.arange(1, len(y) + 1)
    _, tie, counts = np.unique(y, return_inverse=True, return_counts=True)
    ranks = (np.bincount(tie, weights=ranks) / counts)[tie]
    quantile = NormalDist().inv_cdf
    return np.array([quantile((r - 0.5) / len(y)) for r in ranks])


def _agreement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``m[i, j]``: the number of layers on which ``a[i]`` and ``b[j]`` agree, as one product
    of one-hot codes (a value of ``a`` that ``b`` never takes matches nothing)."""
    codes_a, codes_b = [], []
    for layer in range(b.shape[1]):
        values = np.unique(b[:, layer])
        codes_a.append(a[:, layer, None] == values)
        codes_b.append(b[:, layer, None] == values)
    return np.hstack(codes_a).astype(float) @ np.hstack(codes_b).astype(float).T


def _kernel(agree: np.ndarray, rho: float, layers: int) -> np.ndarray:
    pairs = max(layers * (layers - 1) / 2, 1.0)
    return agree / layers + rho * agree * (agree - 1) / 2 / pairs
