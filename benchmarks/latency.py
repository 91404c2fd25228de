"""Latency as the cost (issue 27): how well the table predicts whole networks, and what a
latency budget buys over a FLOP budget, side by side in one run.

1. ``FLOPs or latency?``: one 3x3 conv, 256 channels at 14x14 px, at 1-64 groups.
2. Per backend: the table's build and reload time, then the predictor's error against
   measured whole networks on held-out random genomes (none of the fit's). Each genome is
   measured twice (two passes, the second in reverse order): the gap between the two is
   the timing noise, printed beside the error.
3. ``--search``: binmobilenet, a search under a FLOP budget, then a search under the
   latency the FLOP pick actually needs (re-measured), both scored on one supernet;
   both picks re-measured, and every layer where they differ with what its choice buys.

    python benchmarks/latency.py --held-out 50 --search --out bench-latency.json
    python benchmarks/latency.py --quick                 # a smoke run, minutes
    python benchmarks/latency.py --device cuda --batch 64 --backends binmobilenet
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from evogroup.backend.registry import get_backend
from evogroup.core.latency import LatencySpec
from evogroup.core.operators import sample
from evogroup.torch.device.runtime import resolve_device
from evogroup.torch.latency.correction import errors, fit_genomes
from evogroup.torch.latency.measure import network_time
from evogroup.torch.latency.timing import pinned_threads, time_call

BACKENDS = {
    "binmobilenet": {"module": "M2", "width_mult": 1.0},
    "torchvision": {"arch": "mobilenet_v2"},
}
QUICK = {
    "binmobilenet": {"module": "M2", "width_mult": 0.25, "resolution": 32},
    "torchvision": {"arch": "mobilenet_v2", "resolution": 32},
}


def conv_table(spec: LatencySpec) -> list[dict]:
    """The issue's table: a 3x3 conv with 256 channels at 14x14, groups 1..64."""
    device = resolve_device(spec.device)
    x = torch.randn(spec.batch, 256, 14, 14, device=device)
    rows = []
    with pinned_threads(spec.threads), torch.inference_mode():
        for g in (1, 8, 16, 32, 64):
            conv = torch.nn.Conv2d(256, 256, 3, padding=1, groups=g, bias=False).to(device)
            t = time_call(lambda conv=conv: conv(x), device, warmup=3, repeats=15)
            rows.append(
                {
                    "groups": g,
                    "mflops": 256 * 256 * 9 * 14 * 14 / g / 1e6,
                    "ms": t.median_ms,
                    "noise_ms": t.noise_ms,
                }
            )
    print("\n## FLOPs or latency? 3x3 conv, 256 channels, 14x14 px\n")
    print("| groups | FLOPs (M) | time (ms) | noise (ms) |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['groups']} | {r['mflops']:.1f} | {r['ms']:.2f} | {r['noise_ms']:.2f} |")
    return rows


def held_out(space, fit: set, count: int, seed: int) -> list[tuple[int, ...]]:
    rng, chosen = random.Random(seed), []
    while len(chosen) < count:
        genome = sample(space, rng)
        if genome not in fit and genome not in chosen:
            chosen.append(genome)
    return chosen


def predictor_error(name: str, options: dict, spec: LatencySpec, count: int) -> dict:
    backend = get_backend(name)
    opts = backend.options(**options)
    began = time.perf_counter()
    table = backend.latency(spec, opts, echo=lambda line: print("  " + line))
    built = time.perf_counter() - began
    began = time.perf_counter()
    again = type(backend)().latency(spec, opts, echo=print)  # a fresh backend: from disk
    loaded = time.perf_counter() - began
    space = backend.space(opts)
    fit = set(fit_genomes(space, table.layers, table.key["timing"]["fit_genomes"]))
    genomes = held_out(space, fit, count, seed=1000)
    build, device = backend.static_builder(opts), resolve_device(spec.device)
    args = (spec.batch, spec.resolution or opts.resolution, device)
    passes = []
    with pinned_threads(spec.threads):
        for order in (genomes, genomes[::-1]):
            timed = {g: network_time(build, g, *args, repeats=5).median_ms for g in order}
            passes.append(np.array([timed[g] for g in genomes]))
    measured = (passes[0] + passes[1]) / 2
    predicted = [table.cost(g) for g in genomes]
    err = errors(predicted, measured)
    noise = errors(passes[0], passes[1])  # one measurement against another of the same genome
    row = {
        "backend": name,
        "options": options,
        "built_s": built if not table.cached else None,
        "cached": table.cached,
        "reload_s": loaded,
        "reloaded": again.cached,
        "held_out": count,
        **err,
        "noise_mape": noise["mape"],
        "noise_p90": noise["p90"],
        "median_ms": float(np.median(measured)),
        "fit": table.fit,
        "offset": table.offset,
        "scale": table.scale,
    }
    print(
        f"\n## {name} {options} on {table.key['device']} ({spec.device}, {spec.threads} thread(s),"
        f" batch {spec.batch})\n"
    )
    print(
        f"table: {'loaded from the cache' if table.cached else f'built in {built:.1f} s'};"
        f" reloaded in {loaded * 1e3:.1f} ms (from the cache: {again.cached})"
    )
    print(f"held-out genomes: {count}, median {row['median_ms']:.1f} ms measured")
    print(
        f"predictor error: MAPE {err['mape']:.2f} %, p90 {err['p90']:.2f} %, max {err['max']:.2f} %"
    )
    print(
        f"timing noise (pass 1 vs pass 2 of the same genomes): MAPE {noise['mape']:.2f} %,"
        f" p90 {noise['p90']:.2f} %; error / noise = {err['mape'] / max(noise['mape'], 1e-9):.2f}"
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="binmobilenet,torchvision")
    parser.add_argument("--held-out", type=int, default=50)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--search", action="store_true", help="also the FLOP vs latency search")
    parser.add_argument("--supernet", default=None, help="binmobilenet supernet for --search")
    parser.add_argument("--epochs", type=int, default=3, help="supernet epochs when none given")
    parser.add_argument("--quick", action="store_true", help="tiny networks, few genomes")
    parser.add_argument("--out", default=None, help="write every number to this JSON file")
    args = parser.parse_args(argv)
    spec = LatencySpec(device=args.device, batch=args.batch, threads=args.threads)
    report: dict = {
        "device": args.device,
        "threads": args.threads,
        "batch": args.batch,
        "torch": torch.__version__,
    }
    report["conv"] = conv_table(spec)
    presets = QUICK if args.quick else BACKENDS
    report["backends"] = [
        predictor_error(name, presets[name], spec, args.held_out)
        for name in args.backends.split(",")
        if name
    ]
    if args.search:
        from latency_search import compare_searches

        options = presets["binmobilenet"]
        report["search"] = compare_searches(options, spec, args.supernet, args.epochs, args.quick)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
