"""Engine overhead of a paper-sized search (population 50, 20 iterations, 13 MobileNet layers).

The fitness is trivial, so the time measured is the engine's own, for each strategy:
sampling, crossover, mutation, repair, surrogate fits and knapsack solves, deduplication,
archive and bookkeeping. Also measures cost
evaluations per second of a CostTable next to a plain Python cost function computing the
same FLOPs from the layer shapes, side by side in one run.

Run: python benchmarks/engine.py
"""

from __future__ import annotations

import platform
import time

from evogroup import CostTable, Layer, Problem, SearchSpace, search
from evogroup.backend.synthetic import MOBILENET_V1_BLOCKS
from evogroup.core.operators import sample

BLOCKS = MOBILENET_V1_BLOCKS
SPACE = SearchSpace(
    tuple(Layer.from_channels(f"block{i}.conv3x3", cin) for i, (cin, _, _) in enumerate(BLOCKS, 1))
)
TABLE = CostTable(
    [
        {g: s * s * cin * (cin // g) * 9 / 64 for g in lay.choices}
        for (cin, _, s), lay in zip(BLOCKS, SPACE.layers)
    ],
    constant=146.735e6,
)


def formula_cost(genome):
    return 146.735e6 + sum(
        s * s * cin * (cin // g) * 9 / 64 for (cin, _, s), g in zip(BLOCKS, genome)
    )


def rate(fn, genomes, seconds=0.5) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for g in genomes:
            fn(g)
        calls += len(genomes)
    return calls / (time.perf_counter() - start)


STRATEGIES = [
    ("guided (default)", {}),
    ("paper, reject", {"strategy": "paper", "strategy_options": {"constraint": "reject"}}),
    ("paper, repair", {"strategy": "paper", "strategy_options": {"constraint": "repair"}}),
    ("nsga2", {"strategy": "nsga2"}),
]


def engine_time(problem, settings: dict, seeds: int = 5):
    """Median wall time of ``seeds`` paper-size searches, and the first run's result."""
    runs = []
    for seed in range(seeds):
        start = time.perf_counter()
        result = search(problem, seed=seed, **settings)
        runs.append((time.perf_counter() - start, result))
    return sorted(t for t, _ in runs)[len(runs) // 2], runs[0][1]


def main() -> None:
    import random

    problem = Problem(SPACE, fitness=lambda g: -sum(g), cost=TABLE, budget=1.55e8)
    rng = random.Random(0)
    genomes = [sample(SPACE, rng) for _ in range(1000)]
    table_rate, formula_rate = rate(TABLE, genomes), rate(formula_cost, genomes)
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(
        "search: population 50, top-k 10, 25 crossovers + 25 mutations, 20 iterations, 13 layers, budget 1.55e8"
    )
    print(
        f"{'strategy':<18} {'engine s':>8} {'us/eval':>8} {'evals':>6} {'dups':>6} {'repaired':>8} {'rejected':>8}"
    )
    for name, settings in STRATEGIES:
        seconds, result = engine_time(problem, settings)
        its = result.iterations
        print(
            f"{name:<18} {seconds:>8.3f} {seconds / result.evaluations * 1e6:>8.0f}"
            f" {result.evaluations:>6} {sum(s.duplicates for s in its):>6}"
            f" {sum(s.repaired for s in its):>8} {sum(s.rejected for s in its):>8}"
        )
    print("engine s: median of 5 seeds (target: well under 1 s); dups: children dropped as")
    print("already evaluated (never re-evaluated)")
    print(f"CostTable cost evaluations/s      {table_rate:,.0f}   (target: >= 100,000/s)")
    print(f"formula cost evaluations/s        {formula_rate:,.0f}")
    print(f"CostTable / formula speed ratio   {table_rate / formula_rate:.1f}x")


if __name__ == "__main__":
    main()
