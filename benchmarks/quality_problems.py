r"""Budgeted problems whose optimum is known exactly, for ``search_quality.py``.

Costs are integer (FLOP-like, in thousands of FLOPs), so the exact optimum of an
additive cost under an integer budget is a dynamic programme over whole cost units. The
fitness is accuracy-like (a fraction; gaps are reported in points, x100):

.. math::

    f(G) = 0.75 - \sum_l s_l\, r_l^{a_l} - \sum_l u_l[G_l] - \sum_{(i,j) \in E} J_{ij}\, r_i r_j,
    \qquad r_l = \frac{\log_2 G_l}{\log_2 \max_l}

with seeded sensitivities :math:`s_l`, curvatures :math:`a_l \in [0.5, 2.5]`, small
irregular per-choice terms :math:`u_l` and interactions :math:`J` on the edges
:math:`E` of the problem's structure:

- ``separable``: no edges; solved by DP over (layer, cost).
- ``chain``: edges between neighbouring layers (as in a network's depth); solved by DP
  over (layer, last choice, cost).
- ``dense``: every pair of layers interacts (positive and negative :math:`J`); solved
  by exhaustive enumeration of a smaller space (8 ResNet layers, 7 choices each).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from dataclasses import dataclass, field

import numpy as np

from evogroup import CostTable, Layer, Problem, SearchSpace

MOBILENET = [  # (channels, output side) of MobileNetV1's 3x3 convs
    (32, 112),
    (64, 56),
    (128, 56),
    (128, 28),
    (256, 28),
    (256, 14),
    (512, 14),
    (512, 14),
    (512, 14),
    (512, 14),
    (512, 14),
    (512, 7),
    (1024, 7),
]
RESNET = [(64, 56), (64, 56), (128, 28), (128, 28), (256, 14), (256, 14), (512, 7), (512, 7)]


@dataclass
class Instance:
    """A space, integer cost table, noise-free fitness and its interaction structure."""

    name: str
    space: SearchSpace
    table: CostTable
    fitness: TrueFitness
    cache: dict = field(default_factory=dict)

    def budget(self, fraction: float) -> int:
        """``min_cost + fraction * (max_cost - min_cost)``, rounded down to a cost unit."""
        low, high = self.table.min_cost, self.table.max_cost
        return int(low + fraction * (high - low))

    def problem(self, fraction: float, noise: float = 0.0, run_seed: int = 0) -> Problem:
        fitness = self.fitness if noise == 0 else Noisy(self.fitness, noise, run_seed)
        return Problem(self.space, fitness, self.table, self.budget(fraction))

    def optimum(self, budget: int) -> float:
        """The exact best noise-free fitness within ``budget``."""
        return float(self.curve(budget)[-1])

    def curve(self, budget: int) -> np.ndarray:
        """``curve[i]``: the exact best fitness with cost <= ``table.constant + i``, up to ``budget``."""
        if budget not in self.cache:
            exact = exhaustive if self.fitness.edges == "dense" else chain_dp
            self.cache[budget] = np.maximum.accumulate(exact(self, budget))
        return self.cache[budget]


class TrueFitness:
    def __init__(self, space: SearchSpace, edges: str, seed: int):
        rng = random.Random(seed)
        n = len(space.layers)
        self.edges = edges
        self.log_max = [math.log2(layer.choices[-1]) or 1.0 for layer in space.layers]
        self.s = [rng.uniform(0.003, 0.03) for _ in range(n)]
        self.a = [rng.uniform(0.5, 2.5) for _ in range(n)]
        self.u = [{g: rng.uniform(0, 0.002) for g in layer.choices} for layer in space.layers]
        pairs = [] if edges == "separable" else [(i, i + 1) for i in range(n - 1)]
        if edges == "dense":
            pairs = list(itertools.combinations(range(n), 2))
        self.J = {p: rng.uniform(-0.004, 0.012) for p in pairs}

    def r(self, genome):
        return [math.log2(g) / m for g, m in zip(genome, self.log_max)]

    def layer_term(self, i: int, g: int) -> float:
        r = math.log2(g) / self.log_max[i]
        return -self.s[i] * r ** self.a[i] - self.u[i][g]

    def __call__(self, genome) -> float:
        r = self.r(genome)
        value = 0.75 + sum(self.layer_term(i, g) for i, g in enumerate(genome))
        return value - sum(j * r[a] * r[b] for (a, b), j in self.J.items())


class Noisy:
    """The true fitness plus seeded Gaussian noise, the same for the same genome (a fixed
    validation set), different per run seed."""

    def __init__(self, fitness: TrueFitness, sigma: float, seed: int):
        self.fitness, self.sigma, self.seed = fitness, sigma, seed

    def __call__(self, genome) -> float:
        digest = hashlib.blake2b(repr((self.seed, tuple(genome))).encode(), digest_size=8).digest()
        noise = random.Random(int.from_bytes(digest, "big")).gauss(0.0, self.sigma)
        return self.fitness(genome) + noise


def chain_dp(inst: Instance, budget: int) -> np.ndarray:
    r"""Exact optimum of a separable or chain fitness at every cost: :math:`V_l[k, c]`, the
    best prefix value with layer :math:`l` at choice :math:`k` and integer cost :math:`c`."""
    f, rows = inst.fitness, inst.table.table
    size = int(budget - inst.table.constant) + 1
    layers = inst.space.layers
    prev = None
    for i, layer in enumerate(layers):
        cur = np.full((len(layer.choices), size), -np.inf)
        for k, g in enumerate(layer.choices):
            c = int(rows[i][g])
            if c >= size:
                continue
            if prev is None:
                cur[k, c] = f.layer_term(i, g)
                continue
            best = np.full(size - c, -np.inf)
            for j, h in enumerate(layers[i - 1].choices):
                pair = (
                    f.J.get((i - 1, i), 0.0)
                    * (math.log2(h) / f.log_max[i - 1])
                    * (math.log2(g) / f.log_max[i])
                )
                best = np.maximum(best, prev[j, : size - c] - pair)
            cur[k, c:] = best + f.layer_term(i, g)
        prev = cur
    return 0.75 + prev.max(axis=0)


def exhaustive(inst: Instance, budget: int) -> np.ndarray:
    """Exact optimum at every cost by enumerating every genome (broadcast over one axis per layer)."""
    layers, f = inst.space.layers, inst.fitness
    n = len(layers)

    def axis(i: int, values) -> np.ndarray:
        shape = [1] * n
        shape[i] = len(values)
        return np.asarray(values, dtype=float).reshape(shape)

    cost = np.full([len(layer.choices) for layer in layers], inst.table.constant)
    value = np.full(cost.shape, 0.75)
    r = [
        axis(i, [math.log2(g) / f.log_max[i] for g in layer.choices])
        for i, layer in enumerate(layers)
    ]
    for i, layer in enumerate(layers):
        cost += axis(i, [inst.table.table[i][g] for g in layer.choices])
        value += axis(i, [f.layer_term(i, g) for g in layer.choices])
    for (a, b), j in f.J.items():
        value -= j * r[a] * r[b]
    size = int(budget - inst.table.constant) + 1
    best = np.full(size, -np.inf)
    keep = cost <= budget
    np.maximum.at(best, (cost[keep] - inst.table.constant).astype(np.int64), value[keep])
    return best


def _table(shapes, space) -> CostTable:
    rows = [
        {g: float(round(side * side * c * (c // g) * 9 / 64 / 1000)) for g in layer.choices}
        for (c, side), layer in zip(shapes, space.layers)
    ]
    return CostTable(rows, constant=5000.0)


def instances(seed: int = 0) -> list[Instance]:
    """The suite: MobileNet separable, MobileNet chain, ResNet dense."""
    mb = SearchSpace(tuple(Layer.from_channels(f"mb{i}", c) for i, (c, _) in enumerate(MOBILENET)))
    rn = SearchSpace(
        tuple(Layer.from_channels(f"rn{i}", c, max_groups=64) for i, (c, _) in enumerate(RESNET))
    )
    return [
        Instance(
            "mobilenet-separable", mb, _table(MOBILENET, mb), TrueFitness(mb, "separable", seed)
        ),
        Instance("mobilenet-chain", mb, _table(MOBILENET, mb), TrueFitness(mb, "chain", seed + 1)),
        Instance("resnet-dense", rn, _table(RESNET, rn), TrueFitness(rn, "dense", seed + 2)),
    ]


def self_check() -> None:
    """The DP agrees with enumeration on the first 6 layers of the chain problems."""
    for inst in instances()[:2]:
        space = SearchSpace(inst.space.layers[:6])
        small = Instance(
            inst.name, space, CostTable(inst.table.table[:6], inst.table.constant), None
        )
        small.fitness = TrueFitness(space, inst.fitness.edges, 7)
        budget = small.budget(0.1)
        a, b = chain_dp(small, budget), exhaustive(small, budget)
        assert np.allclose(a, b, rtol=0, atol=1e-12), inst.name
