r"""The ``synthetic`` backend: a MobileNet-shaped toy problem that needs no deep-learning stack.

Its space and cost are those of the binary MobileNet module M2 at 224x224 (13 binary
3x3 group convs and 5 real 1x1 group convs, FLOPs = binary MACs/64 + real MACs), and its
fitness is a cheap, seeded, accuracy-like score:

.. math::

    f(G) = 75 - \sum_l s_l\, r_l - \tfrac12 \sum_l s_l s_{l+1} r_l r_{l+1} + \epsilon(G),
    \qquad r_l = \frac{\log_2 G_l}{\log_2 \max_l}

where :math:`s_l \in [0.3, 3]` is each layer's seeded sensitivity to grouping and
:math:`\epsilon(G)` a deterministic pseudo-noise of standard deviation ``noise``
(the same genome always scores the same). Useful for docs, tests, demos and for
tuning search settings in milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.core.cost import CostTable
from evogroup.core.options import option
from evogroup.core.problem import Problem
from evogroup.core.space import Genome, Layer, SearchSpace

# MobileNetV1 blocks: (C_in, C_out, output side at 224x224 input).
MOBILENET_V1_BLOCKS = [
    (32, 64, 112),
    (64, 128, 56),
    (128, 128, 56),
    (128, 256, 28),
    (256, 256, 28),
    (256, 512, 14),
    (512, 512, 14),
    (512, 512, 14),
    (512, 512, 14),
    (512, 512, 14),
    (512, 512, 14),
    (512, 1024, 7),
    (1024, 1024, 7),
]
_STEM_AND_FC = 112 * 112 * 3 * 32 * 9 + 1024 * 1000


def _space_and_cost() -> tuple[SearchSpace, CostTable]:
    layers, rows, constant = [], [], float(_STEM_AND_FC)
    for i, (cin, cout, side) in enumerate(MOBILENET_V1_BLOCKS, start=1):
        conv3x3 = Layer.from_channels(f"block{i}.conv3x3", cin)
        layers.append(conv3x3)
        rows.append({g: side * side * cin * (cin // g) * 9 / 64 for g in conv3x3.choices})
        if cin != cout:  # the real 1x1 of M2 is searched
            pw = Layer.from_channels(f"block{i}.pw_real", cin, cout)
            layers.append(pw)
            rows.append({g: side * side * cin * cout / g for g in pw.choices})
        else:  # the binary 1x1 is fixed
            constant += side * side * cin * cout / 64
    return SearchSpace(tuple(layers)), CostTable(rows, constant)


class SyntheticFitness:
    """Picklable accuracy-like fitness of the synthetic problem (see the module docstring)."""

    def __init__(self, space: SearchSpace, seed: int = 0, noise: float = 0.1):
        rng = random.Random(seed)
        self.sensitivity = [rng.uniform(0.3, 3.0) for _ in space.layers]
        self.log_max = [math.log2(layer.choices[-1]) or 1.0 for layer in space.layers]
        self.seed, self.noise = seed, noise

    def true_accuracy(self, genome: Genome) -> float:
        """The noise-free score: what "retraining from scratch" returns, up to seed noise."""
        r = [math.log2(g) / m for g, m in zip(genome, self.log_max)]
        s = self.sensitivity
        penalty = sum(si * ri for si, ri in zip(s, r))
        penalty += 0.5 * sum(s[i] * s[i + 1] * r[i] * r[i + 1] for i in range(len(r) - 1))
        return 75.0 - penalty

    def __call__(self, genome: Genome) -> float:
        return self.true_accuracy(genome) + self.noise * _gauss_of(genome, self.seed)


def _gauss_of(genome: Genome, seed: int) -> float:
    digest = hashlib.blake2b(repr((seed, tuple(genome))).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big")).gauss(0.0, 1.0)


@dataclass(frozen=True)
class SyntheticOptions(BackendOptions):
    problem_seed: int = option(0, "seed of the synthetic layer sensitivities")
    noise: float = option(0.1, "std of the deterministic fitness noise", low=0)


class SyntheticBackend(Backend):
    """A torch-free toy backend with the shape and FLOPs of binary MobileNet M2."""

    name = "synthetic"
    summary = "MobileNet-M2-shaped toy problem with a cheap seeded fitness (torch-free)"
    Options = SyntheticOptions

    def space(self, opts: SyntheticOptions | None = None) -> SearchSpace:
        self._opts(opts)
        return _space_and_cost()[0]

    def cost(self, opts: SyntheticOptions | None = None) -> CostTable:
        self._opts(opts)
        return _space_and_cost()[1]

    def cost_label(self, opts: SyntheticOptions | None = None) -> str:
        return "FLOPs (binary MACs/64 + real MACs) of MobileNet M2 at 224x224, 1000 classes"

    def fitness_label(self, opts: SyntheticOptions | None = None) -> str:
        return "synthetic accuracy-like score"

    def problem(
        self,
        budget: float,
        run: Run | None = None,
        opts: SyntheticOptions | None = None,
        supernet: Path | None = None,
        budget_min: float = 0.0,
    ) -> Problem:
        o = self._opts(opts)
        space, cost = _space_and_cost()
        fitness = SyntheticFitness(space, o.problem_seed, o.noise)
        return Problem(space, fitness, cost, budget, budget_min)

    def train(self, genome: Genome, run: Run, opts: SyntheticOptions | None = None) -> TrainResult:
        """Stands in for retraining: the noise-free score plus seeded retraining noise (no top-5)."""
        o = self._opts(opts)
        space, cost = _space_and_cost()
        genome = space.validate(genome)
        fitness = SyntheticFitness(space, o.problem_seed, o.noise)
        top1 = fitness.true_accuracy(genome) + 0.3 * _gauss_of(genome, run.seed + 1)
        return TrainResult(top1, None, run.seed, genome, cost(genome))
