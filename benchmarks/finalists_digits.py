r"""The digits demo with finalists: retrain the finalists' winner and the proxy's pick from scratch.

Runs ``evogroup search --backend binmobilenet --budget 0.8e8 --finalists K`` (the default
demo plus the stage; its wall time is printed), then trains each of the two genomes from
scratch with the recipe ``evogroup rank-check`` uses as its ground truth (the backend's
final recipe: 30 epochs on digits) for two seeds, and prints each training's test top-1,
their mean, and a 95 % interval for the mean: Wilson's interval on the correct answers
pooled over both trainings' test images (test-set sampling only; with two seeds the seed
spread is shown beside it, not folded in). When the finalists keep the proxy's pick, there
is one genome to train and the comparison is moot; that is said.

Run: python benchmarks/finalists_digits.py [--k 8] [--seeds 0,1] [--out runs/finalists-digits]
     [-- extra flags for the search, e.g. --width-mult 0.25 --epochs 1 for a dry run]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

from evogroup.backend.base import Run
from evogroup.backend.registry import get_backend
from evogroup.torch.data.sources import load_data

Z95 = 1.959964


def wilson(correct: float, total: int) -> tuple[float, float]:
    """Wilson's 95 % interval of a proportion, in percent."""
    p = correct / total
    centre = (p + Z95**2 / (2 * total)) / (1 + Z95**2 / total)
    half = Z95 * math.sqrt(p * (1 - p) / total + Z95**2 / (4 * total**2)) / (1 + Z95**2 / total)
    return 100 * (centre - half), 100 * (centre + half)


def search(out: Path, k: int, extra: list[str]) -> tuple[dict, float]:
    args = ["evogroup", "search", "--backend", "binmobilenet", "--budget", "0.8e8"]
    args += ["--finalists", str(k), "--device", "cpu", "--out", str(out), *extra]
    print("$", " ".join(args), flush=True)
    start = time.perf_counter()
    subprocess.run(args, check=True)
    return json.loads((out / "result.json").read_text()), time.perf_counter() - start


def retrain(genome, seeds, out: Path, options: dict) -> list:
    backend = get_backend("binmobilenet")
    opts = backend.options(**options, device="cpu")
    results = []
    for seed in seeds:
        run = Run(out / f"seed{seed}", seed=seed, progress=False)
        results.append(backend.train(tuple(genome), run, opts))
    return results


def report(label: str, genome, results, test_images: int) -> None:
    tops = [r.top1 for r in results]
    mean = sum(tops) / len(tops)
    low, high = wilson(mean / 100 * test_images * len(tops), test_images * len(tops))
    seeds = ", ".join(f"seed {r.seed}: {r.top1:.2f}" for r in results)
    print(
        f"| {label} | {','.join(map(str, genome))} | {seeds} | {mean:.2f} [{low:.2f}, {high:.2f}] |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", type=Path, default=Path("runs/finalists-digits"))
    parser.add_argument("extra", nargs="*", help="more search flags, after --")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    result, seconds = search(args.out / "search", args.k, args.extra)
    print(f"\nsearch with --finalists {args.k}: {seconds:.0f} s wall; {result['chosen_by']}")
    winner, pick = result["best"]["genome"], result["finalists"]["proxy_pick"]
    options = {"width_mult": _flag(args.extra, "--width-mult", float, 1.0)}
    final = _flag(args.extra, "--final-epochs", int, None)
    if final:
        options["final_epochs"] = final
    test_images = len(load_data(None, seed=0).test)
    print(
        f"\n| genome | groups | from scratch, test top-1 % | mean [95 % interval] ({test_images} test images) |"
    )
    print("|---|---|---|---|")
    report(
        "finalists' winner",
        winner,
        retrain(winner, seeds, args.out / "winner", options),
        test_images,
    )
    if winner == pick:
        print("\nthe finalists kept the proxy's pick: nothing to compare")
        return 0
    report("proxy's pick", pick, retrain(pick, seeds, args.out / "pick", options), test_images)
    return 0


def _flag(extra: list[str], name: str, kind, default):
    return kind(extra[extra.index(name) + 1]) if name in extra else default


if __name__ == "__main__":
    sys.exit(main())
