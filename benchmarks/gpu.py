"""GPU throughput of the binmobilenet supernet at ImageNet scale, on synthetic tensors.

Prints, side by side in one run on whatever card it finds (224x224, module M2, width 1.0,
1000 classes, batch 256, a random genome every supernet step):

1. training images/s of
   - the supernet with the grouped kernel, fp32, NCHW, cudnn.benchmark off (before issue 8),
   - the supernet with the masked kernel, bf16, channels_last, cudnn.benchmark on, eager,
   - the same under one torch.compile (and the number of compiles it needed),
   - the static export of one genome (g=4), bf16, channels_last,
   - a float MobileNetV1 (depthwise 3x3, ReLU), bf16, channels_last (the reference),
     eager and under one torch.compile,
   and the masked supernet (eager and compiled) against both references;
2. seconds per candidate evaluation (BatchNorm recalibration on 2,560 images + top-1 on
   10,000; data held on the device) with the training code's own functions;
3. the GPU-hours of a paper-scale run (64 supernet epochs of 1.28M images + 1,050
   candidates) beside the paper's 26-32.

Run: python benchmarks/gpu.py [--steps 20] [--candidates 4] [--skip grouped,reference]
(a CPU smoke test: --width 0.25 --resolution 32 --batch 8 --steps 1 --candidates 1
--recal-images 16 --val-images 16 --skip compiled,reference-compiled).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import torch
from binmobilenet.supernet import SuperNet, base_width, scaled_blocks
from torch import nn

from evogroup.torch.device.accel import Speed, prepare
from evogroup.torch.fitness.accuracy import accuracy
from evogroup.torch.fitness.supernet_fitness import recalibrate_bn

IMAGENET_TRAIN = 1_281_167
ROWS = ("grouped", "masked", "compiled", "static", "reference", "reference-compiled")


def float_mobilenet_v1(num_classes: int = 1000, width_mult: float = 1.0) -> nn.Sequential:
    """The reference: a float MobileNetV1, depthwise 3x3 + pointwise 1x1, BN, ReLU."""

    def unit(cin: int, cout: int, k: int, stride: int, groups: int) -> list[nn.Module]:
        conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    blocks = scaled_blocks(width_mult)
    layers = unit(3, base_width(width_mult), 3, 2, 1)
    for cin, cout, stride in blocks:
        layers += unit(cin, cin, 3, stride, cin) + unit(cin, cout, 1, 1, 1)
    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(blocks[-1][1], num_classes)]
    return nn.Sequential(*layers, *head)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_rate(
    model: nn.Module, speed: Speed, args: argparse.Namespace, before_step: Callable[[], None]
) -> float:
    """Images per second of forward + backward + fused Adam (3 untimed steps first, which
    include any compilation)."""
    runner = prepare(model, speed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=speed.device.type == "cuda")
    batch, steps, side = args.batch, args.steps, args.resolution
    x = speed.inputs(torch.randn(batch, 3, side, side))
    y = torch.randint(0, 1000, (batch,), device=speed.device)

    def step() -> None:
        before_step()
        with speed.autocast():
            loss = nn.functional.cross_entropy(runner(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(3):
        step()
    sync(speed.device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(speed.device)
    return steps * batch / (time.perf_counter() - start)


def candidate_seconds(
    net: SuperNet, speed: Speed, args: argparse.Namespace, rng: random.Random
) -> float:
    """Seconds per candidate: set a random genome, recalibrate BN on ``--recal-images``
    (batches of 256), top-1 on ``--val-images`` (batches of 500), held on the device, with
    the functions SupernetFitness calls."""
    runner = prepare(net, speed)
    dtype, side = speed.amp or torch.float32, args.resolution

    def images(n: int) -> torch.Tensor:
        return speed.inputs(torch.randn(n, 3, side, side, device=speed.device, dtype=dtype))

    recal = [images(len(c)) for c in torch.arange(args.recal_images).split(256)]
    val = [
        (images(len(c)), torch.randint(0, 1000, (len(c),), device=speed.device))
        for c in torch.arange(args.val_images).split(500)
    ]

    def evaluate() -> float:
        net.set_genome(tuple(rng.choice(layer.choices) for layer in net.space.layers))
        recalibrate_bn(runner, recal, speed)
        return accuracy(runner, val, speed).top1

    evaluate()  # compiles
    sync(speed.device)
    start = time.perf_counter()
    for _ in range(args.candidates):
        evaluate()
    return (time.perf_counter() - start) / args.candidates


def print_ratios(rates: dict[str, float]) -> None:
    """The masked supernet, eager and compiled, over the float MobileNetV1, eager and
    compiled (the fair pair is compiled / compiled; target >= 1.0x)."""
    for sup, sup_label in (("masked", "eager"), ("compiled", "compiled")):
        for ref, ref_label in (("reference", "eager"), ("reference-compiled", "compiled")):
            if sup in rates and ref in rates:
                print(
                    f"masked supernet {sup_label:<8} / float MobileNetV1 {ref_label:<8}:"
                    f" {rates[sup] / rates[ref]:.2f}x"
                )


def compiles() -> int:
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20, help="timed training steps per row")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--candidates", type=int, default=4, help="timed candidate evaluations")
    p.add_argument("--skip", default="", help=f"comma-separated rows to skip, of {ROWS}")
    p.add_argument("--width", type=float, default=1.0, help="width multiplier")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--recal-images", type=int, default=2560)
    p.add_argument("--val-images", type=int, default=10_000)
    p.add_argument(
        "--grouped-candidates",
        action="store_true",
        help="also time candidate evaluation with the grouped kernel, fp32",
    )
    args = p.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"device: {name}; torch {torch.__version__}; M2, width {args.width:g},"
        f" {args.resolution}x{args.resolution}, batch {args.batch}"
    )
    rng = random.Random(0)
    torch.manual_seed(0)
    grouped = SuperNet("M2", num_classes=1000, width_mult=args.width)
    masked = SuperNet("M2", num_classes=1000, width_mult=args.width, kernel="masked")
    masked.load_state_dict(grouped.state_dict())

    def new_genome(net):
        """A step that sets a random genome on ``net``."""
        return lambda: net.set_genome(tuple(rng.choice(g.choices) for g in net.space.layers))

    fast = Speed(device, torch.bfloat16, channels_last=True)
    rates: dict[str, float] = {}
    reference = float_mobilenet_v1(1000, args.width)
    rows = {
        "grouped": (
            "supernet, grouped kernel, fp32, NCHW, cudnn.benchmark off",
            grouped,
            Speed(device),
            new_genome(grouped),
        ),
        "masked": (
            "supernet, masked kernel, bf16, channels_last, eager",
            masked,
            fast,
            new_genome(masked),
        ),
        "compiled": (
            "supernet, masked kernel, bf16, channels_last, torch.compile",
            masked,
            Speed(device, torch.bfloat16, True, compile=True),
            new_genome(masked),
        ),
        "static": (
            "static export of one genome (g=4), bf16, channels_last",
            masked.export(masked.space.uniform(4)),
            fast,
            lambda: None,
        ),
        "reference": (
            "float MobileNetV1 (depthwise 3x3, ReLU), bf16, channels_last, eager",
            reference,
            fast,
            lambda: None,
        ),
        "reference-compiled": (
            "float MobileNetV1, bf16, channels_last, torch.compile",
            reference,
            Speed(device, torch.bfloat16, True, compile=True),
            lambda: None,
        ),
    }
    for key, (label, model, speed, before) in rows.items():
        if key in skip:
            continue
        before_compiles = compiles()
        rates[key] = train_rate(model, speed, args, before)
        extra = f"  ({compiles() - before_compiles} compiled graphs for {args.steps + 3} genomes)"
        print(f"{label:<66} {rates[key]:8,.0f} images/s" + (extra if speed.compile else ""))
    supernet = max((rates[k] for k in ("grouped", "masked", "compiled") if k in rates), default=0)
    print_ratios(rates)
    if device.type == "cuda":
        print(f"peak GPU memory (training): {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")

    per = (
        candidate_seconds(masked, Speed(device, torch.bfloat16, True, compile=True), args, rng)
        if device.type == "cuda"
        else None
    )
    if per is not None:
        print(
            f"candidate evaluation, masked, bf16, compiled: {per:.2f} s"
            " (BN recalibration 2,560 images + top-1 on 10,000; target <= 0.5 s)"
        )
    if args.grouped_candidates or per is None:
        per_grouped = candidate_seconds(grouped, Speed(device), args, rng)
        print(f"candidate evaluation, grouped, fp32: {per_grouped:.2f} s")
        per = per if per is not None else per_grouped
    if supernet:
        supernet_h = 64 * IMAGENET_TRAIN / supernet / 3600  # meaningful at the defaults only
        search_h = 1050 * per / 3600
        print(
            f"paper-scale: supernet 64 epochs {supernet_h:.1f} GPU-h + search 1,050 candidates"
            f" {search_h:.2f} GPU-h = {supernet_h + search_h:.1f} GPU-h on this card"
            " (paper: 26-32 GPU-h in total, Table 2)"
        )


if __name__ == "__main__":
    main()
