r"""A model of the finalists' trained scores that starts from the search's evidence.

Before any training the search offers two additive signals over genomes: the proxy,
denoised by a one-hot ridge fit to the archive (:class:`RidgeSurrogate`), :math:`p(G)`,
and the cost, :math:`\kappa(G)` (the cost table, or its additive fit). Each is scaled by
its spread over the archive. The trained scores :math:`y`, in units of their own spread
:math:`s_y`, are modelled as

.. math::

    y(G) / s_y = a + b\,\tilde p(G) + c\,\tilde\kappa(G) + \sum_l r_l[G_l]

The calibration :math:`(b, c)` is a ridge fit with prior mean :math:`(0, 1)`: without
evidence the dearer network is the better one, and the proxy counts for what the trained
scores show it is worth. The residual :math:`r` is a one-hot ridge fit
(:class:`RidgeSurrogate`) of what the calibration leaves, whose posterior draws give
Thompson sampling. The whole model is additive, so its optimum within the budget is a
knapsack (:class:`~evogroup.strategies.guided.planning.Planner`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from evogroup.core.records import Evaluation
from evogroup.core.space import Genome, SearchSpace
from evogroup.strategies.guided.planning import Planner
from evogroup.strategies.guided.surrogate import RidgeSurrogate

PRIOR = (0.0, 1.0)  # prior (b, c): trust in the proxy, in the cost, per unit of spread
CALIBRATION_RIDGE = 3.0  # chosen on benchmarks/finalists.py (1.0 and 0.3 measured too)
RESIDUAL_RIDGE = 1.0


class TrainedScoreModel:
    """Fits trained scores on (proxy, cost, one-hot genes); additive values for a knapsack."""

    def __init__(self, space: SearchSpace, archive: Sequence[Evaluation], planner: Planner):
        self.space = space
        scored = [e for e in archive if e.ok]
        proxy = RidgeSurrogate(space, ridge=1.0).fit(
            [e.genome for e in scored], [e.fitness for e in scored]
        )
        table = planner.table.table
        cost = [
            np.array([row[g] for g in layer.choices]) for row, layer in zip(table, space.layers)
        ]
        self.signals = [
            _standardized(proxy.values(), space, scored),
            _standardized(cost, space, scored),
        ]
        self.calibration = np.array(PRIOR)
        self.residual: RidgeSurrogate | None = None
        self.scale = 1.0

    def features(self, genomes: Sequence[Genome]) -> np.ndarray:
        """Rows of (proxy signal, cost signal), each in units of its archive spread."""
        return np.column_stack([_additive(v, self.space, genomes) for v in self.signals])

    def fit(self, genomes: Sequence[Genome], scores: Sequence[float]) -> TrainedScoreModel:
        y = np.asarray(scores, dtype=float)
        self.scale = float(y.std()) if len(y) > 1 and y.std() > 0 else 1.0
        y = (y - y.mean()) / self.scale
        x = self.features(genomes)
        x = x - x.mean(axis=0)
        prior = np.array(PRIOR)
        gram = x.T @ x + CALIBRATION_RIDGE * np.eye(2)
        self.calibration = prior + np.linalg.solve(gram, x.T @ (y - x @ prior))
        self.residual = RidgeSurrogate(self.space, ridge=RESIDUAL_RIDGE)
        self.residual.fit(list(genomes), list(y - x @ self.calibration))
        return self

    def values(self, rng: random.Random | None = None) -> list[np.ndarray]:
        """Per-layer scores of each choice: the posterior mean, or a posterior draw with ``rng``."""
        b, c = self.calibration
        proxy, cost = self.signals
        out = [b * p + c * k for p, k in zip(proxy, cost)]
        if self.residual is not None:
            weights = None if rng is None else self.residual.draw(rng)
            residual = self.residual.values(weights)
            out = [v + self.residual.scale * r for v, r in zip(out, residual)]
        return out


def _additive(values: Sequence[np.ndarray], space: SearchSpace, genomes) -> np.ndarray:
    index = [{g: j for j, g in enumerate(layer.choices)} for layer in space.layers]
    return np.array(
        [sum(v[idx[g]] for v, idx, g in zip(values, index, genome)) for genome in genomes],
        dtype=float,
    ).reshape(len(genomes))


def _standardized(values, space: SearchSpace, archive: Sequence[Evaluation]) -> list[np.ndarray]:
    """``values`` divided by the spread of their sum over the archive (1 when it has none)."""
    spread = (
        float(np.std(_additive(values, space, [e.genome for e in archive]))) if archive else 0.0
    )
    return [np.asarray(v, dtype=float) / (spread or 1.0) for v in values]
