"""Which supernet recipe ranks genomes best on the digits demo? Kendall tau per recipe.

The stand-alone accuracy of a genome does not depend on how the supernet was trained, so
K genomes (stratified by cost under the budget, as ``evogroup rank-check`` picks them)
are trained from scratch once per seed, and every supernet recipe is then judged
against the same ground truth: Kendall's tau (bootstrap 95 % interval) between its
BN-recalibrated fitness and the mean stand-alone test top-1. With two or more seeds it
also prints tau between the seeds' own accuracies: the ceiling any proxy can reach on
this ground truth (the test split's noise ranks the genomes too).

Recipes (supernet options of ``evogroup train-supernet``; fitness with the recipe's
recalibration sample and with 4x as many images):
    uniform         one random genome per step, the current demo recipe (30 epochs, lr 5e-3)
    uniform-seed1   the same with seed 1 (how far two supernets of one recipe differ)
    uniform-x3      the same for 3x the epochs (the sandwich's number of passes)
    epochs20        uniform for 20 epochs (two thirds of the cost)
    batch32         uniform at batch 32 (twice the steps, half the images per step)
    lr2e-3, lr1e-2  uniform at another learning rate
    budget          the random genome drawn under the search's budget (SPOS)
    sandwich        largest + smallest + random genome per step (BigNAS)
    distill         sandwich with in-place distillation from the largest genome
    sandwich-10, distill-10   the same for 10 epochs (on a CPU, about two uniform
                    30-epoch runs: the largest genome is the dearest)

Run: python benchmarks/rank_recipes.py [--samples 12] [--seeds 2] [--device cuda]
[--workers 8] [--recipes uniform,distill] [--final-epochs 30] [--epochs 30]
(the trainings run in ``--workers`` processes; on a GPU they share it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

BUDGET = 0.8e8
RECIPES: dict[str, dict[str, Any]] = {
    "uniform": {},
    "uniform-seed1": {"seed": 1},
    "uniform-x3": {"epochs_factor": 3},
    "epochs20": {"epochs": 20},
    "batch32": {"batch_size": 32},
    "lr2e-3": {"lr": 2e-3},
    "lr1e-2": {"lr": 1e-2},
    "budget": {"train_budget": BUDGET},
    "sandwich": {"sampling": "sandwich"},
    "distill": {"sampling": "sandwich", "distill": True},
    "sandwich-10": {"sampling": "sandwich", "epochs": 10},
    "distill-10": {"sampling": "sandwich", "distill": True, "epochs": 10},
}


def _backend_and_options(device: str, **changes: Any):
    from binmobilenet.backend import BinMobileNetBackend

    backend = BinMobileNetBackend()
    # the grouped kernel, uncompiled: the CPU demo's arithmetic on any device
    return backend, backend.options(device=device, kernel="grouped", compile=False, **changes)


def _init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def truth(device: str, genome: tuple, seed: int, final_epochs: int, root: str) -> float:
    """Test top-1 of ``genome`` trained from scratch with ``seed`` (the demo's recipe)."""
    from evogroup.backend.base import Run

    backend, opts = _backend_and_options(device, final_epochs=final_epochs)
    where = Path(root) / f"truth-{'-'.join(map(str, genome))}-s{seed}"
    run = Run(where, seed, echo=lambda s: None, progress=False, resume=True)  # keeps what --out has
    return backend.train(genome, run, opts).top1


def recipe_scores(device: str, name: str, epochs: int, genomes: list, root: str) -> dict:
    """Train the supernet of recipe ``name`` and score every genome with it."""
    from evogroup.backend.base import Run

    spec = dict(RECIPES[name])
    factor, seed = spec.pop("epochs_factor", 1), spec.pop("seed", 0)
    spec.setdefault("epochs", epochs * factor)
    backend, opts = _backend_and_options(device, **spec)
    run = Run(Path(root) / f"supernet-{name}", seed, echo=lambda s: None, progress=False,
              resume=True)  # fmt: skip
    supernet = backend.train_supernet(run, opts)
    fitness = backend.problem(BUDGET, run, opts, supernet).fitness
    precise = fitness.variant(recal_images=4 * fitness.recal_images)
    # the same fitness measured on the 1,258 training images instead of the 269 of
    # search-val: how much of a ranking is the small validation sample's noise
    # (in this process only: a SupernetFitness sent to a worker reloads its data)
    data = backend.data(run, opts)
    on_train = fitness.variant(_data=dataclasses.replace(data, search_val=data.train_plain))
    import torch

    history = torch.load(supernet, map_location="cpu", weights_only=False)["history"]
    last = history[-1]
    return {
        "seconds": sum(h["seconds"] for h in history),  # its epochs, also when --out kept it
        "train_acc": last["train_acc"],
        "recal": [fitness(g) for g in genomes],
        "recal_x4": [precise(g) for g in genomes],
        "on_train": [on_train(g) for g in genomes],
        "recal_images": fitness.recal_images,
    }


def _read_truth(path: str) -> dict[tuple, float]:
    """``genome -> top1`` of a ``rank_check.csv`` (``evogroup rank-check``'s output)."""
    import csv

    with open(path) as fh:
        return {tuple(int(v) for v in row["genome"].split(",")): float(row["top1"])
                for row in csv.DictReader(fh)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=12, help="genomes K")
    p.add_argument("--seeds", type=int, default=2, help="stand-alone trainings per genome")
    p.add_argument("--final-epochs", type=int, default=30)
    p.add_argument("--epochs", type=int, default=30, help="supernet epochs of the base recipes")
    p.add_argument("--recipes", default=",".join(RECIPES), help=f"of {', '.join(RECIPES)}")
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=2, help="processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--out", default=None, help="keep the runs here (default: a temp dir)")
    p.add_argument("--truth", default=None,
                   help="a rank_check.csv whose genomes and top1 are seed 0 of the ground truth"
                        " (trained with --final-epochs): only seeds 1.. are trained")  # fmt: skip
    args = p.parse_args()
    names = [n for n in args.recipes.split(",") if n]
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        p.error(f"--recipes: unknown {', '.join(unknown)}; choose from {', '.join(RECIPES)}")

    from evogroup.core.problem import Problem
    from evogroup.runs.rank_check import stratified_genomes
    from evogroup.runs.rank_stats import bootstrap, kendall_tau

    backend, opts = _backend_and_options(args.device)
    problem = Problem(backend.space(opts), lambda g: 0.0, backend.cost(opts), BUDGET)
    known = _read_truth(args.truth) if args.truth else {}
    genomes = list(known) or stratified_genomes(problem, args.samples, seed=0)
    root = args.out or tempfile.mkdtemp(prefix="rank-recipes-")
    truth_from = f"{args.seeds} seed(s) of {args.final_epochs} final epochs" + (
        f" (seed 0 from {args.truth})" if known else "")
    print(f"digits, M2 width 1.0, budget {BUDGET:.2g}; {len(genomes)} genomes, {truth_from};"
          f" device {args.device},"
          f" {args.workers} processes x {args.threads} thread(s); runs in {root}", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.threads,),
                             mp_context=__import__("multiprocessing").get_context("spawn")) as pool:  # fmt: skip
        # a --truth file is seed 0; --seeds 2 or more trains the further seeds beside it
        jobs = {(g, s): pool.submit(truth, args.device, g, s, args.final_epochs, root)
                for g in genomes for s in range(1 if known else 0, args.seeds)}  # fmt: skip
        scored = {n: pool.submit(recipe_scores, args.device, n, args.epochs, genomes, root)
                  for n in names}  # fmt: skip
        # raw results as they finish (a run cut short still leaves what it measured)
        index = {g: i for i, g in enumerate(genomes)}
        pending = {f: ("truth", k) for k, f in jobs.items()} | {
            f: ("recipe", n) for n, f in scored.items()}  # fmt: skip
        for f in as_completed(pending):
            what, key = pending[f]
            if what == "truth":
                print(f"  raw truth genome {index[key[0]]} seed {key[1]}: {f.result():.2f}",
                      flush=True)  # fmt: skip
            else:
                r = f.result()
                print(f"  raw recipe {key}: {r['seconds']:.0f} s, train acc {r['train_acc']:.1f},"
                      f" fitness {[round(v, 2) for v in r['recal']]},"
                      f" x4 {[round(v, 2) for v in r['recal_x4']]},"
                      f" on train {[round(v, 2) for v in r['on_train']]}", flush=True)  # fmt: skip
        acc = {k: f.result() for k, f in jobs.items()} | {(g, 0): a for g, a in known.items()}
        mean = [statistics.fmean(acc[g, s] for s in range(args.seeds)) for g in genomes]
        print(f"\nground truth ({time.perf_counter() - t0:.0f} s so far): stand-alone test top-1"
              f" {min(mean):.2f}..{max(mean):.2f} %")  # fmt: skip
        for g, m in zip(genomes, mean):
            seeds = " ".join(f"{acc[g, s]:6.2f}" for s in range(args.seeds))
            print(f"  cost {problem.cost(g):11,.0f}  mean {m:6.2f}  seeds {seeds}")
        if args.seeds >= 2:
            ceiling = bootstrap(kendall_tau, [acc[g, 0] for g in genomes],
                                [acc[g, 1] for g in genomes], seed=0)  # fmt: skip
            print(f"seed 0 vs seed 1 (the ground truth's own repeatability): Kendall tau"
                  f" {ceiling.value:.3f} (95% CI {ceiling.low:.3f} to {ceiling.high:.3f})")  # fmt: skip
        cost = bootstrap(kendall_tau, [problem.cost(g) for g in genomes], mean, seed=0)
        print(f"cost alone (dearer ranks higher): Kendall tau {cost.value:.3f}"
              f" (95% CI {cost.low:.3f} to {cost.high:.3f})")  # fmt: skip
        print(f"\n{'recipe':<16}{'supernet s':>11}{'train acc':>10}{'fitness range':>16}"
              f"  {'Kendall tau vs mean truth (95% CI)':<36}{'with 4x recal images':<36}"
              f"{'on the training images':<36}")  # fmt: skip
        for n, f in scored.items():
            r = f.result()
            cells = []
            for key in ("recal", "recal_x4", "on_train"):
                t = bootstrap(kendall_tau, r[key], mean, seed=0)
                cells.append(f"{t.value:6.3f} ({t.low:6.3f} to {t.high:6.3f})")
            span = f"{min(r['recal']):.1f}..{max(r['recal']):.1f}"
            print(f"{n:<16}{r['seconds']:11.0f}{r['train_acc']:10.1f}{span:>16}"
                  f"  {cells[0]:<36}{cells[1]:<36}{cells[2]:<36}", flush=True)  # fmt: skip
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
