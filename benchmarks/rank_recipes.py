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
    fair            strictly fair sampling of the random genome (--fair true)
    bn-choice       a BatchNorm per group choice (--bn-per-choice true)
    wd              decoupled weight decay 0.01 (--weight-decay 0.01; AdamW's default)
    sandwich-5, distill-5   sandwich with 5 genomes per step (largest, smallest, 3 random),
                    without and with in-place distillation
    A+B             recipes combined, e.g. fair+bn-choice (their options merged)

Every supernet is scored by its accuracy after BN recalibration (what the search uses)
and by the negative loss (--fitness-metric loss); ``--more-scorings`` adds 4x the
recalibration images and scoring on the training images. Every scoring is reported with
the statistics of ``evogroup.runs.rank_stats`` (tau over all and the better half, tau within
cost bins, regret@1/3/5, bootstrap 95 % intervals) beside cost alone's.

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
    "fair": {"fair": True},
    "bn-choice": {"bn_per_choice": True},
    "wd": {"weight_decay": 0.01},
    "sandwich-5": {"sampling": "sandwich", "sandwich_genomes": 5},
    "distill-5": {"sampling": "sandwich", "sandwich_genomes": 5, "distill": True},
}


def recipe_spec(name: str) -> dict[str, Any]:
    """The options of recipe ``name``; ``A+B`` merges the options of A and B."""
    spec: dict[str, Any] = {}
    for part in name.split("+"):
        spec.update(RECIPES[part])
    return spec


def _backend_and_options(device: str, width: float = 1.0, **changes: Any):
    from binmobilenet.backend import BinMobileNetBackend

    backend = BinMobileNetBackend()
    # the grouped kernel, uncompiled: the CPU demo's arithmetic on any device
    return backend, backend.options(
        device=device, kernel="grouped", compile=False, width_mult=width, **changes
    )


def _init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def truth(
    device: str, width: float, genome: tuple, seed: int, final_epochs: int, root: str
) -> float:
    """Test top-1 of ``genome`` trained from scratch with ``seed`` (the demo's recipe)."""
    from evogroup.backend.base import Run

    backend, opts = _backend_and_options(device, width, final_epochs=final_epochs)
    where = Path(root) / f"truth-{'-'.join(map(str, genome))}-s{seed}"
    run = Run(where, seed, echo=lambda s: None, progress=False, resume=True)  # keeps what --out has
    return backend.train(genome, run, opts).top1


def recipe_scores(
    device: str,
    width: float,
    budget: float,
    name: str,
    epochs: int,
    genomes: list,
    root: str,
    more: bool = False,
) -> dict:
    """Train the supernet of recipe ``name`` and score every genome with it (by accuracy and
    by negative loss; with ``more`` also with 4x the recalibration images and on the
    training images)."""
    from evogroup.backend.base import Run

    spec = recipe_spec(name)
    factor, seed = spec.pop("epochs_factor", 1), spec.pop("seed", 0)
    spec.setdefault("epochs", epochs * factor)
    if spec.get("train_budget") == BUDGET:  # the "budget" recipe: the search's budget
        spec["train_budget"] = budget
    backend, opts = _backend_and_options(device, width, **spec)
    run = Run(
        Path(root) / f"supernet-{name}", seed, echo=lambda s: None, progress=False, resume=True
    )
    supernet = backend.train_supernet(run, opts)
    fitness = backend.problem(budget, run, opts, supernet).fitness
    scorings = {"recal": fitness, "loss": fitness.variant(metric="loss")}
    if more:
        # the same fitness measured on the 1,258 training images instead of the 269 of
        # search-val: how much of a ranking is the small validation sample's noise
        # (in this process only: a SupernetFitness sent to a worker reloads its data)
        data = backend.data(run, opts)
        scorings["recal_x4"] = fitness.variant(recal_images=4 * fitness.recal_images)
        scorings["on_train"] = fitness.variant(
            _data=dataclasses.replace(data, search_val=data.train_plain)
        )
    import torch

    history = torch.load(supernet, map_location="cpu", weights_only=False)["history"]
    last = history[-1]
    return {
        "seconds": sum(h["seconds"] for h in history),  # its epochs, also when --out kept it
        "train_acc": last["train_acc"],
        "recal_images": fitness.recal_images,
        **{key: [f(g) for g in genomes] for key, f in scorings.items()},
    }


SCORINGS = {
    "recal": "accuracy",
    "loss": "negative loss",
    "recal_x4": "accuracy, 4x recal",
    "on_train": "accuracy on train",
}


def _read_truth(path: str) -> dict[tuple, float]:
    """``genome -> top1`` of a ``rank_check.csv`` (``evogroup rank-check``'s output)."""
    import csv

    with open(path) as fh:
        return {
            tuple(int(v) for v in row["genome"].split(",")): float(row["top1"])
            for row in csv.DictReader(fh)
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=12, help="genomes K")
    p.add_argument("--seeds", type=int, default=2, help="stand-alone trainings per genome")
    p.add_argument("--final-epochs", type=int, default=30)
    p.add_argument("--epochs", type=int, default=30, help="supernet epochs of the base recipes")
    p.add_argument(
        "--recipes", default=",".join(RECIPES), help=f"of {', '.join(RECIPES)}, or A+B to combine"
    )
    p.add_argument(
        "--more-scorings",
        action="store_true",
        help="also score with 4x the recalibration images and on the training images",
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--width", type=float, default=1.0, help="M2's width (the demo's: 1.0)")
    p.add_argument("--budget", type=float, default=BUDGET, help="the search's budget")
    p.add_argument("--workers", type=int, default=2, help="processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--out", default=None, help="keep the runs here (default: a temp dir)")
    p.add_argument(
        "--truth",
        default=None,
        help="a rank_check.csv whose genomes and top1 are seed 0 of the ground truth"
        " (trained with --final-epochs): only seeds 1.. are trained",
    )
    args = p.parse_args()
    names = [n for n in args.recipes.split(",") if n]
    unknown = sorted({part for n in names for part in n.split("+")} - set(RECIPES))
    if unknown:
        p.error(f"--recipes: unknown {', '.join(unknown)}; choose from {', '.join(RECIPES)}")

    from evogroup.core.problem import Problem
    from evogroup.runs.rank_check import stratified_genomes
    from evogroup.runs.rank_stats import bootstrap, kendall_tau, rank_statistics, statistics_table

    backend, opts = _backend_and_options(args.device, args.width)
    problem = Problem(backend.space(opts), lambda g: 0.0, backend.cost(opts), args.budget)
    known = _read_truth(args.truth) if args.truth else {}
    genomes = list(known) or stratified_genomes(problem, args.samples, seed=0)
    root = args.out or tempfile.mkdtemp(prefix="rank-recipes-")
    truth_from = f"{args.seeds} seed(s) of {args.final_epochs} final epochs" + (
        f" (seed 0 from {args.truth})" if known else ""
    )
    print(
        f"digits, M2 width {args.width}, budget {args.budget:.3g}; {len(genomes)} genomes, {truth_from};"
        f" device {args.device},"
        f" {args.workers} processes x {args.threads} thread(s); runs in {root}",
        flush=True,
    )
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        args.workers,
        initializer=_init,
        initargs=(args.threads,),
        mp_context=__import__("multiprocessing").get_context("spawn"),
    ) as pool:
        # a --truth file is seed 0; --seeds 2 or more trains the further seeds beside it
        jobs = {
            (g, s): pool.submit(truth, args.device, args.width, g, s, args.final_epochs, root)
            for g in genomes
            for s in range(1 if known else 0, args.seeds)
        }
        scored = {
            n: pool.submit(
                recipe_scores,
                args.device,
                args.width,
                args.budget,
                n,
                args.epochs,
                genomes,
                root,
                args.more_scorings,
            )
            for n in names
        }
        # raw results as they finish (a run cut short still leaves what it measured)
        index = {g: i for i, g in enumerate(genomes)}
        pending = {f: ("truth", k) for k, f in jobs.items()} | {
            f: ("recipe", n) for n, f in scored.items()
        }
        for f in as_completed(pending):
            what, key = pending[f]
            if what == "truth":
                print(
                    f"  raw truth genome {index[key[0]]} seed {key[1]}: {f.result():.2f}",
                    flush=True,
                )
            else:
                r = f.result()
                scores = "; ".join(f"{k} {[round(v, 3) for v in r[k]]}" for k in SCORINGS if k in r)
                print(
                    f"  raw recipe {key}: {r['seconds']:.0f} s, train acc {r['train_acc']:.1f},"
                    f" {scores}",
                    flush=True,
                )
        acc = {k: f.result() for k, f in jobs.items()} | {(g, 0): a for g, a in known.items()}
        mean = [statistics.fmean(acc[g, s] for s in range(args.seeds)) for g in genomes]
        print(
            f"\nground truth ({time.perf_counter() - t0:.0f} s so far): stand-alone test top-1"
            f" {min(mean):.2f}..{max(mean):.2f} %"
        )
        for g, m in zip(genomes, mean):
            seeds = " ".join(f"{acc[g, s]:6.2f}" for s in range(args.seeds))
            print(f"  cost {problem.cost(g):11,.0f}  mean {m:6.2f}  seeds {seeds}")
        if args.seeds >= 2:
            ceiling = bootstrap(
                kendall_tau, [acc[g, 0] for g in genomes], [acc[g, 1] for g in genomes], seed=0
            )
            print(
                f"seed 0 vs seed 1 (the ground truth's own repeatability): Kendall tau"
                f" {ceiling.value:.3f} (95% CI {ceiling.low:.3f} to {ceiling.high:.3f})"
            )
        costs = [problem.cost(g) for g in genomes]
        cost = rank_statistics(costs, mean, costs, seed=0)
        print(f"cost alone (dearer ranks higher): Kendall tau {cost['kendall_tau'].text()}")
        for n, f in scored.items():
            r = f.result()
            print(
                f"\nrecipe {n}: supernet {r['seconds']:.0f} s, train acc {r['train_acc']:.1f} %,"
                f" fitness {min(r['recal']):.1f}..{max(r['recal']):.1f}; against the mean truth:"
            )
            columns = {
                SCORINGS[k]: rank_statistics(r[k], mean, costs, seed=0) for k in SCORINGS if k in r
            }
            for line in statistics_table({**columns, "cost alone": cost}):
                print("  " + line, flush=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
