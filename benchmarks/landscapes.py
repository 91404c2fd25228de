r"""Real search landscapes for ``real_landscapes.py``, and synthetic stand-ins of the same shapes.

Every landscape is a table over all genomes of a small space (so the optimum under any
budget is known exactly): what the search sees (``seen``, or one of ``draws`` per
evaluation), what it is judged by (``truth``), and a cost.

- **NAS-Bench-201** (``nasbench201/*.json`` of the data folder): 6 genes, the cell's
  edges; 5 choices each, coded 1..5 from dearest to cheapest (``OPS``: ``nor_conv_3x3``,
  ``nor_conv_1x1``, ``skip_connect``, ``avg_pool_3x3``, ``none``). Cost: additive MACs, a
  :class:`~evogroup.CostTable` (an edge costs 35,389,440 as a 3x3 conv, 3,932,160 as a 1x1
  conv, 0 otherwise; 7,783,040 for the rest). Fitness: the ground truth, or the one-shot
  supernet's prediction judged by the ground truth.
- **Channel-Bench-Macro, MobileNet** (``channel-bench-macro/Results_MobileNet.json``):
  7 genes, 4 widths each, coded 1..4 = width 1.0, 0.75, 0.5, 0.25 (dearest first). Cost:
  the table's FLOPs, a plain function (not additive). Fitness: one of the three trained
  runs' accuracies per evaluation (seed noise), judged by their mean.

Genes are coded as integers because a gene's choices in evogroup are integers (group
counts); the smallest code is the dearest choice, as the smallest group count is.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evogroup import CostTable, Layer, Problem, SearchSpace
from evogroup.core.space import Genome

OPS = ("nor_conv_3x3", "nor_conv_1x1", "skip_connect", "avg_pool_3x3", "none")
OP_MACS = {"nor_conv_3x3": 35_389_440, "nor_conv_1x1": 3_932_160}
NB201_REST = 7_783_040
NB201_BUDGETS = (30e6, 50e6, 80e6, 120e6)
CBM_FRACTIONS = (0.10, 0.25, 0.50)


@dataclass
class Landscape:
    """A fully tabulated landscape: ``seen`` (or ``draws``) is searched, ``truth`` judges."""

    name: str
    space: SearchSpace
    cost: object  # a CostTable or a plain callable
    truth: dict[Genome, float]
    seen: dict[Genome, float]
    budgets: tuple[float, ...]
    draws: dict[Genome, tuple[float, ...]] | None = None
    proxy: bool = False  # ``seen`` is a one-shot supernet's estimate of ``truth``

    def problem(self, budget: float, run_seed: int) -> Problem:
        fitness = self.seen.__getitem__ if self.draws is None else SeedDraw(self.draws, run_seed)
        return Problem(self.space, fitness, self.cost, budget, proxy=self.proxy)

    def optimum(self, budget: float) -> float:
        """The best true fitness within the budget."""
        return max(v for g, v in self.truth.items() if self.cost(g) <= budget)

    def dearest(self, budget: float) -> Genome:
        """The most expensive genome within the budget (the better by ``seen`` on ties)."""
        feasible = [g for g in self.truth if self.cost(g) <= budget]
        mean = self.seen if self.draws is None else self.truth
        return max(feasible, key=lambda g: (self.cost(g), mean[g]))


class SeedDraw:
    """One of a genome's trained runs per evaluation, drawn by a hash of (run seed, genome):
    the same genome scores the same within a run (evogroup never evaluates twice)."""

    def __init__(self, draws: dict[Genome, tuple[float, ...]], seed: int):
        self.draws, self.seed = draws, seed

    def __call__(self, genome: Genome) -> float:
        runs = self.draws[tuple(genome)]
        digest = hashlib.blake2b(repr((self.seed, tuple(genome))).encode(), digest_size=8)
        return runs[int.from_bytes(digest.digest(), "big") % len(runs)]


class TableCost:
    """A cost given as a plain function of the genome (a lookup), deliberately not a CostTable."""

    def __init__(self, values: dict[Genome, float]):
        self.values = values

    def __call__(self, genome: Genome) -> float:
        return self.values[tuple(genome)]


def nb201_space() -> SearchSpace:
    return SearchSpace(tuple(Layer(f"edge{i}", (1, 2, 3, 4, 5)) for i in range(6)))


def nb201_cost() -> CostTable:
    row = {code: float(OP_MACS.get(op, 0)) for code, op in enumerate(OPS, start=1)}
    return CostTable([row] * 6, constant=NB201_REST)


def nb201_genome(key: str) -> Genome:
    """``"[(('nor_conv_3x3', 0),), ...]"`` -> codes of the 6 edges in node order."""
    nodes = ast.literal_eval(key)
    return tuple(OPS.index(op) + 1 for node in nodes for op, _ in node)


def cbm_space() -> SearchSpace:
    return SearchSpace(tuple(Layer(f"layer{i}", (1, 2, 3, 4)) for i in range(7)))


def cbm_budgets(flops: dict[Genome, float]) -> tuple[float, ...]:
    low, high = min(flops.values()), max(flops.values())
    return tuple(low + f * (high - low) for f in CBM_FRACTIONS)


def load_real(data: Path) -> list[Landscape]:
    """The three real landscapes from the data folder (see its README)."""
    folder = Path(data) / "nasbench201"
    truth = _nb201(folder / "ground-truth-cifar10.json")
    proxy = _nb201(folder / "one-shot-supernet-cifar10.json")
    space, cost = nb201_space(), nb201_cost()
    raw = json.loads((Path(data) / "channel-bench-macro" / "Results_MobileNet.json").read_text())
    cbm = {tuple(5 - int(d) for d in key): row for key, row in raw.items()}
    flops = {g: float(row["flops"]) for g, row in cbm.items()}
    return [
        Landscape("NB201 ground truth", space, cost, truth, truth, NB201_BUDGETS),
        Landscape("NB201 one-shot proxy", space, cost, truth, proxy, NB201_BUDGETS, proxy=True),
        Landscape(
            "CBM MobileNet, seed noise",
            cbm_space(),
            TableCost(flops),
            {g: row["mean"] for g, row in cbm.items()},
            {g: row["mean"] for g, row in cbm.items()},
            cbm_budgets(flops),
            draws={g: tuple(row["acc"]) for g, row in cbm.items()},
        ),
    ]


def _nb201(path: Path) -> dict[Genome, float]:
    return {nb201_genome(k): float(v) for k, v in json.loads(path.read_text()).items()}


def synthetic(seed: int = 0) -> list[Landscape]:
    """Stand-ins of the same shapes (spaces, costs, budgets, noise), with invented fitness:
    per-choice effects plus pairwise interactions, and a cell cut to 10 % when the edges
    into the output are all ``none`` (as a real NAS-Bench-201 cell is)."""
    rng = np.random.default_rng(seed)
    space, cost = nb201_space(), nb201_cost()
    genomes = list(itertools.product(range(1, 6), repeat=6))
    truth = {g: _interacting(g, rng_state) for g, rng_state in _fields(genomes, rng, 5)}
    for g in genomes:
        if g[3] == g[4] == g[5] == 5:
            truth[g] = 10.0
    proxy = {g: v + 2.0 * float(np.sin(7.0 * sum(g))) for g, v in truth.items()}
    widths = list(itertools.product(range(1, 5), repeat=7))
    mean = {g: _interacting(g, r) for g, r in _fields(widths, rng, 4)}
    flops = {g: float(sum((5 - a) * (5 - b) for a, b in zip(g, g[1:])) * 1e6) for g in widths}
    runs = random.Random(seed)
    draws = {g: tuple(v + runs.gauss(0, 0.15) for _ in range(3)) for g, v in mean.items()}
    return [
        Landscape("synthetic NB201 ground truth", space, cost, truth, truth, NB201_BUDGETS),
        Landscape(
            "synthetic NB201 one-shot proxy", space, cost, truth, proxy, NB201_BUDGETS, proxy=True
        ),
        Landscape(
            "synthetic CBM, seed noise",
            cbm_space(),
            TableCost(flops),
            mean,
            mean,
            cbm_budgets(flops),
            draws=draws,
        ),
    ]


def _fields(genomes: list[Genome], rng: np.random.Generator, choices: int):
    """Each genome with the same random effect tables (main effects and pairwise terms)."""
    n = len(genomes[0])
    main = rng.normal(0.0, 1.0, (n, choices)) - np.arange(choices) * 0.5
    pair = rng.normal(0.0, 0.3, (n, n, choices, choices))
    field = (main, pair)
    return ((g, field) for g in genomes)


def _interacting(genome: Genome, field) -> float:
    main, pair = field
    idx = [g - 1 for g in genome]
    value = sum(main[i, c] for i, c in enumerate(idx))
    value += sum(
        pair[i, j, idx[i], idx[j]] for i in range(len(idx)) for j in range(i + 1, len(idx))
    )
    return float(90.0 + value)
