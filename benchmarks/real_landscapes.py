"""Search quality on real landscapes: NAS-Bench-201 and Channel-Bench-Macro, peers side by side.

Landscapes (``landscapes.py``; files from the public repositories named in the data
folder's README): NAS-Bench-201 CIFAR-10 with the ground truth as fitness, the same with
the one-shot supernet's prediction as fitness (judged by the ground truth), and
Channel-Bench-Macro MobileNet with seed noise (one of three trained runs per evaluation,
judged by their mean; FLOPs a plain, non-additive function). Regret = the best true
accuracy within the budget - the true accuracy of the genome a peer returns, in points;
pooled over budgets x seeds. "to 0.1" = the evaluations after which the best genome
evaluated so far (by the fitness the search sees) is within 0.1 point of the optimum:
median over runs ("never" when most runs never get there) and the share that do.

Evaluation counts are exact. evogroup's strategies run ``population=20,
crossovers=5, mutations=5, iterations=(E - 20) / 10`` (E = 160: 14 iterations; 400: 38),
so E = 20 + 10 x iterations; SPOS's loop runs population 40 (20 mutations + 20
crossovers, refilled at random) for E / 40 - 1 epochs; REA, random search and TPE stop
at E distinct evaluations; "dearest" evaluates one genome, the most expensive within
the budget. Every run's count is checked.

With ``--splits``, evogroup's strategies run every split of each E in ``SPLITS``
(population + children x iterations, the last batch cut at E, as ``search(problem,
evaluations=E, population=..., crossovers=..., mutations=...)`` runs it) and with
``evaluations=E`` alone; the table shows each peer's median regret per split and the
spread (max - min) of those medians. Peers that take no split (REA, SPOS, random, TPE,
dearest) show their one median in every column. ``guided`` plans its own schedule from E
(its initial design, and batches of at most the split's children): a split whose planned
schedule equals one already run on the landscape is that same deterministic run, reused.

Run: python benchmarks/real_landscapes.py --data /path/to/data [--seeds 10]
     [--evaluations 160,400] [--tpe-seeds 10] [--splits]; --synthetic runs the stand-ins.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from landscapes import Landscape, load_real, synthetic
from peers import rea, spos_history, tpe_history

from evogroup import search
from evogroup.runs.baselines import random_search
from evogroup.strategies.guided.planning import dearest_feasible
from evogroup.strategies.guided.strategy import batch_size, initial_design

STRATEGY_POPULATION, STRATEGY_CHILDREN, SPOS_POPULATION = 20, 10, 40
SPLITS = ((16, 16), (20, 10), (32, 8), (10, 30), (50, 50), None)  # (population, children)
TPE_TRIALS = 10  # trials per evaluation at most: TPE repeats genomes and proposes some over budget


REUSED: dict = {}  # guided's runs by planned schedule, per landscape (see splits_table)


def guided_schedule(evaluations: int, split) -> tuple[int, int]:
    """The (initial design, batch) guided plans for ``split`` of ``evaluations``."""
    batch = batch_size(evaluations)
    return initial_design(evaluations), batch if split is None else min(split[1], batch)


def evogroup_peer(strategy: str):
    def run(problem, seed: int, evaluations: int, split=(STRATEGY_POPULATION, STRATEGY_CHILDREN)):
        if strategy == "guided":
            key = (problem.budget, seed, evaluations, guided_schedule(evaluations, split))
            if key not in REUSED:
                REUSED[key] = planned(problem, seed, evaluations, split)
            return REUSED[key]
        return planned(problem, seed, evaluations, split, strategy)

    return run


def planned(problem, seed: int, evaluations: int, split, strategy: str = "guided"):
    """One search's history and chosen genome (:func:`strategy_result`)."""
    result = strategy_result(problem, strategy, seed, evaluations, split)
    return [(e.genome, e.fitness) for e in result.history], result.best.genome


def strategy_result(
    problem,
    strategy: str,
    seed: int,
    evaluations: int,
    split=(STRATEGY_POPULATION, STRATEGY_CHILDREN),
):
    """evogroup's search with exactly ``evaluations`` fitness calls, ``split``
    (population, children) of them, or the strategy's own split with None."""
    sizes = {}
    if split is not None:
        population, children = split
        sizes = dict(
            population=population, crossovers=children // 2, mutations=children - children // 2
        )
    return search(
        problem, strategy=strategy, evaluations=evaluations, seed=seed, rescore_top=0, **sizes
    )


def split_name(split) -> str:
    return "E alone" if split is None else f"{split[0]}+{split[1]}xk"


def from_seen(seen: dict | None):
    if seen is None:
        return None
    return list(seen.items()), max(seen, key=seen.__getitem__)


def spos_peer(problem, seed: int, evaluations: int):
    epochs = evaluations // SPOS_POPULATION - 1
    half = SPOS_POPULATION // 2
    sizes = dict(population=SPOS_POPULATION, mutations=half, crossovers=half, epochs=epochs)
    return from_seen(spos_history(problem, seed, **sizes))


def random_peer(problem, seed: int, evaluations: int):
    result = random_search(problem, evaluations, seed=seed)
    return [(e.genome, e.fitness) for e in result.history], result.best.genome


def dearest_peer(problem, seed: int, evaluations: int):
    genome = dearest_feasible(problem)
    return [(genome, problem.fitness(genome))], genome


PEERS = {
    "guided (default)": evogroup_peer("guided"),
    "paper (Alg. 1)": evogroup_peer("paper"),
    "nsga2": evogroup_peer("nsga2"),
    "REA": lambda p, s, e: from_seen(rea(p, s, e)),
    "SPOS loop": spos_peer,
    "random": random_peer,
    "optuna TPE": lambda p, s, e: from_seen(tpe_history(p, s, e, trials=TPE_TRIALS * e)),
    "dearest": dearest_peer,
}


SPLIT_PEERS = ("guided (default)", "paper (Alg. 1)", "nsga2")


def splits_table(land: Landscape, evaluations: int, seeds: int, peers, tpe_seeds: int) -> None:
    """Each peer's median regret per split of ``evaluations``, and their spread. A guided run
    whose planned schedule (initial design, batch) equals one already run on this landscape
    is that run (the search is deterministic): it is reused, not repeated."""
    REUSED.clear()
    medians = defaultdict(dict)
    fixed = [p for p in peers if p not in SPLIT_PEERS]
    for rows, _ in [measure(land, evaluations, seeds, fixed, tpe_seeds)] if fixed else []:
        for name, runs in rows.items():
            medians[name] = {s: statistics.median(r for r, _, _ in runs) for s in SPLITS}
    for split in SPLITS:
        chosen = [p for p in peers if p in SPLIT_PEERS]
        rows, _ = measure(land, evaluations, seeds, chosen, tpe_seeds, split or "alone")
        for name, runs in rows.items():
            medians[name][split] = statistics.median(r for r, _, _ in runs)
    print(f"\n{land.name}, {evaluations} evaluations: median regret per split")
    print(
        "  {:<17}".format("peer")
        + "".join(f" {split_name(s):>10}" for s in SPLITS)
        + f" {'spread':>7} {'worst':>6}"
    )
    for name, row in medians.items():
        values = [row[s] for s in SPLITS]
        print(
            f"  {name:<17}"
            + "".join(f" {v:>10.3f}" for v in values)
            + f" {max(values) - min(values):>7.3f} {max(values):>6.3f}"
        )


def to_within(land: Landscape, history: list, optimum: float, tolerance: float = 0.1) -> float:
    """Evaluations until the best seen so far is within ``tolerance`` of the optimum (inf: never)."""
    best = -math.inf
    for count, (genome, fitness) in enumerate(history, start=1):
        if fitness is not None and fitness > best:
            best = fitness
            if optimum - land.truth[genome] <= tolerance:
                return float(count)
    return math.inf


def measure(
    land: Landscape, evaluations: int, seeds: int, peers: list[str], tpe_seeds: int, split=None
):
    """Per peer: the regrets and evaluations-to-0.1 of every (budget, seed) run, and seconds;
    with ``split`` ((population, children), or "alone"), evogroup's peers run that split."""
    rows, seconds = defaultdict(list), defaultdict(float)
    for budget in land.budgets:
        optimum = land.optimum(budget)
        for seed in range(seeds):
            problem = land.problem(budget, seed)
            for name in peers:
                if name == "optuna TPE" and seed >= tpe_seeds:
                    continue
                start = time.perf_counter()
                if split is not None and name in SPLIT_PEERS:
                    ran = PEERS[name](
                        problem, seed, evaluations, None if split == "alone" else split
                    )
                else:
                    ran = PEERS[name](problem, seed, evaluations)
                seconds[name] += time.perf_counter() - start
                if ran is None:
                    continue
                history, chosen = ran
                expected = 1 if name == "dearest" else evaluations
                if name != "optuna TPE":  # TPE may run out of trials first: its count is shown
                    assert len(history) == expected, f"{name}: {len(history)} evaluations"
                regret = optimum - land.truth[chosen]
                rows[name].append((regret, to_within(land, history, optimum), len(history)))
    return rows, seconds


def report(land: Landscape, evaluations: int, rows, seconds) -> None:
    print(
        f"\n{land.name}, {evaluations} evaluations, budgets "
        + ", ".join(f"{b:.4g}" for b in land.budgets)
    )
    head = ("peer", "median", "p90", "to 0.1", "reach", "runs", "evals", "s/run")
    print("  {:<17} {:>7} {:>6} {:>7} {:>6} {:>5} {:>6} {:>6}".format(*head))
    for name, runs in rows.items():
        regrets = [r for r, _, _ in runs]
        reach = [k for _, k, _ in runs]
        median_reach = statistics.median(reach)
        shown = "never" if math.isinf(median_reach) else f"{median_reach:.0f}"
        share = sum(math.isfinite(k) for k in reach) / len(reach)
        evals = statistics.fmean(n for _, _, n in runs)
        print(
            f"  {name:<17} {statistics.median(regrets):>7.3f} {np.percentile(regrets, 90):>6.3f}"
            f" {shown:>7} {share:>6.0%} {len(runs):>5} {evals:>6.0f}"
            f" {seconds[name] / len(runs):>6.2f}"
        )
    if "optuna TPE" in PEERS and "optuna TPE" not in rows:
        print("  optuna TPE: not run (pip install optuna, or --tpe-seeds > 0)")


def landscape_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark on the landscapes takes: where they come from (the real
    ones under ``--data``, or the synthetic stand-ins) and how many seeds."""
    parser = argparse.ArgumentParser(description=description)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="the data folder (see its README)")
    source.add_argument("--synthetic", action="store_true", help="the stand-ins, no data")
    parser.add_argument("--seeds", type=int, default=10)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = landscape_parser(__doc__.splitlines()[0])
    parser.add_argument("--evaluations", default="160,400")
    parser.add_argument("--tpe-seeds", type=int, default=10, help="TPE is slow: fewer seeds")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset")
    parser.add_argument("--landscapes", default="", help="comma-separated name prefixes")
    parser.add_argument("--splits", action="store_true", help="median regret per split of E")
    args = parser.parse_args(argv)
    peers = args.peers.split(",")
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f"--peers must name peers in {sorted(PEERS)}, but got {unknown}")
    lands = synthetic() if args.synthetic else load_real(args.data)
    if args.landscapes:
        lands = [x for x in lands if x.name.startswith(tuple(args.landscapes.split(",")))]
    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.seeds} seeds;"
        " regret in accuracy points"
    )
    for land in lands:
        for evaluations in (int(e) for e in args.evaluations.split(",")):
            if args.splits:
                splits_table(land, evaluations, args.seeds, peers, args.tpe_seeds)
                continue
            rows, seconds = measure(land, evaluations, args.seeds, peers, args.tpe_seeds)
            report(land, evaluations, rows, seconds)


if __name__ == "__main__":
    main()
