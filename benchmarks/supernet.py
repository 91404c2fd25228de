"""Benchmark: the cost of weight sharing and of FLOP counting in the binmobilenet backend.

Prints, from one run on CPU:

1. a training step (forward, backward, Adam) of the supernet with a random genome per
   step, with the grouped kernel and with the masked kernel (same weights, same genomes),
   beside the same step of the exported static network of the same genomes (target:
   supernet <= 1.3x static); the grouped / masked ratio is what ``--kernel auto`` picks
   on the CPU by;
2. cost-table lookups per second beside whole-model fvcore counts per second
   (target: >= 1000x).

Run: ``python benchmarks/supernet.py [--module M2 --width 1.0 --resolution 32 --batch 64]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from binmobilenet.supernet import BinMobileNet, SuperNet

from evogroup import get_backend
from evogroup.torch.backend.flops import count_flops


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--module", default="M2", choices=("M1", "M2", "M3"))
    p.add_argument("--width", type=float, default=1.0, help="width multiplier")
    p.add_argument("--resolution", type=int, default=32, help="training input size")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=8, help="timed steps (one genome each)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per model first")
    p.add_argument("--lookups", type=int, default=100_000, help="cost-table lookups to time")
    p.add_argument("--counts", type=int, default=3, help="whole-model fvcore counts at 224")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--fused",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fused Adam, one kernel per step (what training uses)",
    )
    return p.parse_args()


def train_step(model: torch.nn.Module, opt: torch.optim.Optimizer, x, y, *genome) -> tuple:
    """One optimizer step; seconds of (forward + backward, optimizer). ``genome`` goes to
    the supernet's forward."""
    start = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x, *genome), y).backward()
    middle = time.perf_counter()
    opt.step()
    return middle - start, time.perf_counter() - middle


def time_training(
    args: argparse.Namespace, nets: list[SuperNet], genomes: list
) -> tuple[list[list], list]:
    """Per-step seconds of each supernet (a new random genome each step) and of the static
    export of the same genome, interleaved so that machine noise hits all alike."""
    x = torch.randn(args.batch, 3, args.resolution, args.resolution)
    y = torch.randint(0, nets[0].num_classes, (args.batch,))
    adam = lambda params: torch.optim.Adam(params, lr=1e-3, fused=args.fused)  # noqa: E731
    opts = [adam(net.parameters()) for net in nets]
    for net, opt in zip(nets, opts):
        for g in genomes[: args.warmup]:
            train_step(net, opt, x, y, g)
    statics = []
    for g in genomes[args.warmup :]:
        model = nets[0].export(g).train()
        statics.append((model, adam(model.parameters())))
        for _ in range(args.warmup):
            train_step(*statics[-1], x, y)
    supernets: list[list] = [[] for _ in nets]
    static = []
    for g, (model, sopt) in zip(genomes[args.warmup :], statics):
        for times, net, opt in zip(supernets, nets, opts):
            times.append(train_step(net, opt, x, y, g))
        static.append(train_step(model, sopt, x, y))
    return supernets, static


def _row(name: str, steps: list) -> str:
    fb, op = (statistics.mean(s[i] for s in steps) * 1e3 for i in (0, 1))
    total = statistics.median(sum(s) for s in steps) * 1e3
    return f"   {name:<28} median {total:7.1f} ms   (mean fwd+bwd {fb:6.1f} ms, Adam {op:6.1f} ms)"


def rate(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    print("settings:", " ".join(f"--{k}={v}" for k, v in vars(args).items()))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")

    net = SuperNet(args.module, num_classes=1000, width_mult=args.width).train()
    masked = SuperNet(args.module, num_classes=1000, width_mult=args.width, kernel="masked")
    masked.load_state_dict(net.state_dict())
    sample = lambda: tuple(rng.choice(layer.choices) for layer in net.space.layers)  # noqa: E731
    genomes = [sample() for _ in range(args.warmup + args.steps)]
    (sup, msk), sta = time_training(args, [net, masked.train()], genomes)
    ratios = [sum(s) / sum(t) for s, t in zip(sup, sta)]
    kernels = [sum(m) / sum(s) for m, s in zip(msk, sup)]
    print("\n1. training step (forward + backward + Adam), one random genome per step")
    print(_row("supernet, grouped kernel", sup))
    print(_row("supernet, masked kernel", msk))
    print(_row("static export, same genomes", sta))
    print(
        f"   supernet (grouped) / static: {statistics.median(ratios):.2f}x median per genome"
        f" (range {min(ratios):.2f}-{max(ratios):.2f}x); target <= 1.3x"
    )
    print(
        f"   masked / grouped: {statistics.median(kernels):.2f}x median per genome"
        f" (range {min(kernels):.2f}-{max(kernels):.2f}x); --kernel auto picks"
        f" {'masked' if statistics.median(kernels) < 1 else 'grouped'} on this CPU"
    )

    backend = get_backend("binmobilenet")
    table = backend.cost(backend.options(module=args.module, width_mult=args.width))
    lookup_genomes = [sample() for _ in range(1000)]
    it = iter(range(args.lookups))
    lookups = rate(lambda: table(lookup_genomes[next(it) % 1000]), args.lookups)
    count_genomes = iter([sample() for _ in range(args.counts)])
    counts = rate(
        lambda: count_flops(BinMobileNet(next(count_genomes), args.module, 1000, args.width), 224),
        args.counts,
    )
    print("\n2. FLOPs of a genome at 224x224, 1000 classes")
    print(f"   cost-table lookup           {lookups:12,.0f} /s")
    print(f"   whole-model fvcore count    {counts:12,.2f} /s  (build static net + trace)")
    print(f"   table / fvcore: {lookups / counts:,.0f}x; target >= 1000x")


if __name__ == "__main__":
    main()
