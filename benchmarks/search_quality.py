"""Search quality on budgeted problems whose optimum is known exactly, peers side by side.

Problems (``quality_problems.py``): MobileNet-shaped separable and chain-structured
fitness (exact optimum by dynamic programming) and a ResNet-shaped one where every pair
of layers interacts (exact optimum by enumeration). Settings: budget at 15 % and 5 % of
the cost range, fitness noise sigma 0 or 0.003 (accuracy as a fraction; a finite
validation set). Every peer gets the paper's 1,050 evaluations. Gap = optimum - true
(noise-free) fitness of the genome a peer returns, in accuracy points; median and 90th
percentile over problems x seeds.

Then the front: one ``nsga2`` run (1,050 evaluations, budget 15 %) against three
``guided`` runs at 5 %, 10 % and 15 % with 350 evaluations each (the same total):
hypervolume of the true fitness-cost points (fraction of the exact front's) and the gap
at each budget.

Run: python benchmarks/search_quality.py [--seeds 10] [--tpe-seeds 1]
(TPE needs ``pip install 'evogroup[bench]'``; without it that peer is skipped. One TPE run
takes minutes here, so it runs ``--tpe-seeds`` seeds per problem, noise-free only.)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections import defaultdict

import numpy as np
from peers import spos, tpe
from quality_problems import Instance, instances, self_check

from evogroup import search
from evogroup.core.front import Front
from evogroup.core.records import Evaluation
from evogroup.runs.baselines import random_search

SETTINGS = [(0.15, 0.0), (0.05, 0.0), (0.15, 0.003), (0.05, 0.003)]
PEERS = {
    "random search": lambda p, s: random_search(p, 1050, seed=s).best.genome,
    "SPOS loop": spos,
    "optuna TPE": tpe,
    "paper reject": lambda p, s: (
        search(p, strategy="paper", strategy_options={"constraint": "reject"}, seed=s).best.genome
    ),
    "paper repair": lambda p, s: (
        search(p, strategy="paper", strategy_options={"constraint": "repair"}, seed=s).best.genome
    ),
    "nsga2": lambda p, s: search(p, strategy="nsga2", seed=s).best.genome,
    "guided (default)": lambda p, s: search(p, seed=s).best.genome,
}


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


def quality(problems: list[Instance], seeds: int, tpe_seeds: int, peers: list[str]) -> None:
    seconds = defaultdict(float)
    for fraction, noise in SETTINGS:
        gaps = defaultdict(list)
        for inst in problems:
            optimum = inst.optimum(inst.budget(fraction))
            for seed in range(seeds):
                problem = inst.problem(fraction, noise, run_seed=seed)
                for name in peers:
                    peer = PEERS[name]
                    if name == "optuna TPE" and (seed >= tpe_seeds or noise > 0):
                        continue  # minutes per run: a few runs, noise-free settings only
                    start = time.perf_counter()
                    genome = peer(problem, seed)
                    seconds[name] += time.perf_counter() - start
                    if genome is not None:
                        gaps[name].append(100 * (optimum - inst.fitness(genome)))
        print(f"\nbudget at {fraction:.0%} of the cost range, noise sigma {noise}")
        print(f"  {'peer':<18} {'median gap':>10} {'p90 gap':>8} {'runs':>5}")
        for name in peers:
            if gaps[name]:
                g = gaps[name]
                print(f"  {name:<18} {statistics.median(g):>10.3f} {p90(g):>8.3f} {len(g):>5}")
            elif name == "optuna TPE" and noise > 0:
                print(f"  {name:<18} not run with noise (one TPE run takes minutes)")
            elif name == "optuna TPE" and tpe_seeds:
                print(f"  {name:<18} skipped: optuna is not installed (pip install optuna)")
    print("\nseconds per run (mean, all settings):")
    runs = len(SETTINGS) * len(problems)
    for name in peers:
        n = runs * seeds
        if name == "optuna TPE":
            n = sum(noise == 0 for _, noise in SETTINGS) * len(problems) * min(seeds, tpe_seeds)
        if seconds[name]:
            print(f"  {name:<18} {seconds[name] / n:.3f}")


def true_front(inst: Instance, history: list[Evaluation]) -> Front:
    return Front.from_history(
        Evaluation(e.iteration, e.genome, inst.fitness(e.genome), e.cost) for e in history
    )


def front_vs_single(problems: list[Instance], seeds: int) -> None:
    fractions = (0.05, 0.10, 0.15)
    print("\nfront: one nsga2 run (1,050 evaluations, budget 15 %) vs three guided runs")
    print("(350 evaluations each, budgets 5 / 10 / 15 %); no noise; median over problems x seeds")
    rows = defaultdict(list)
    for inst in problems:
        budgets = [inst.budget(f) for f in fractions]
        curve = inst.curve(budgets[-1])
        ref = inst.fitness(inst.table.min_genome())
        exact = float(np.sum(curve[int(inst.table.min_cost - inst.table.constant) : -1] - ref))
        for seed in range(seeds):
            one = search(inst.problem(0.15), strategy="nsga2", seed=seed)
            three = [search(inst.problem(f), iterations=6, seed=seed) for f in fractions]
            fronts = {
                "nsga2, one run": true_front(inst, one.history),
                "guided, three runs": true_front(inst, [e for r in three for e in r.history]),
            }
            for name, front in fronts.items():
                rows[name, "hv"].append(front.hypervolume(budgets[-1], ref) / exact)
                for f, b in zip(fractions, budgets):
                    best = front.best_under(b)
                    rows[name, f].append(100 * (inst.optimum(b) - best.fitness))
    print(f"  {'':<20} {'hypervolume':>11} {'gap 5%':>7} {'gap 10%':>8} {'gap 15%':>8}")
    for name in ("nsga2, one run", "guided, three runs"):
        gaps = " ".join(f"{statistics.median(rows[name, f]):>7.3f}" for f in fractions)
        print(f"  {name:<20} {statistics.median(rows[name, 'hv']):>11.4f} {gaps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tpe-seeds", type=int, default=1, help="TPE is slow: fewer seeds")
    parser.add_argument("--no-front", action="store_true")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset")
    args = parser.parse_args()
    self_check()
    problems = instances()
    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.seeds} seeds,"
        f" TPE {min(args.seeds, args.tpe_seeds)}; gap in accuracy points"
    )
    quality(problems, args.seeds, args.tpe_seeds, args.peers.split(","))
    if not args.no_front:
        front_vs_single(problems, args.seeds)


if __name__ == "__main__":
    main()
