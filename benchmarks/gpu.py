"""GPU throughput of the binmobilenet pipeline at ImageNet scale, on synthetic tensors.

Measures (1) supernet training images/s at 224x224, module M2, batch 256, a random genome
per step, fp32 and bf16 autocast side by side; (2) seconds per candidate evaluation
(BatchNorm recalibration on 2,560 images + top-1 on 10,000 validation images); and
derives the GPU-hours of a paper-scale run (64 supernet epochs of 1.28M images and 1,050
candidates) to compare with the paper's 26-32 GPU-hours (Table 2, RTX 2080 Ti).

Run: python benchmarks/gpu.py [--steps 12] [--candidates 4]
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from binmobilenet.fitness import recalibrate_bn
from binmobilenet.supernet import SuperNet, search_space

IMAGENET_TRAIN = 1_281_167


def timed(fn, sync) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def train_rate(net, space, rng, dtype, steps, batch, device) -> float:
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=device.type == "cuda")
    x = torch.randn(batch, 3, 224, 224, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        genome = tuple(rng.choice(layer.choices) for layer in space.layers)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = loss_fn(net(x, genome), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    net.train()
    for _ in range(3):
        step()
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    seconds = timed(lambda: [step() for _ in range(steps)], sync)
    return steps * batch / seconds


def candidate_seconds(net, space, rng, dtype, candidates, device) -> float:
    recal = torch.randn(2560, 3, 224, 224, device=device, dtype=torch.bfloat16)
    val = torch.randn(10_000, 3, 224, 224, device=device, dtype=torch.bfloat16)
    labels = torch.randint(0, 1000, (10_000,), device=device)

    def evaluate():
        genome = tuple(rng.choice(layer.choices) for layer in space.layers)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            recalibrate_bn(net, (b.float() for b in recal.split(256)), genome)
            correct = 0
            with torch.inference_mode():
                for xb, yb in zip(val.split(500), labels.split(500)):
                    correct += (
                        net(xb.float().contiguous(memory_format=torch.channels_last))
                        .argmax(1)
                        .eq(yb)
                        .sum()
                    )
        return correct.item()

    evaluate()
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    return timed(lambda: [evaluate() for _ in range(candidates)], sync) / candidates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument(
        "--cudnn-benchmark", action="store_true", help="autotune every new conv shape"
    )
    parser.add_argument("--train-only", action="store_true")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    print(
        f"device: {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}; torch {torch.__version__}"
    )
    space, rng = search_space("M2"), random.Random(0)
    net = SuperNet("M2", num_classes=1000).to(device).to(memory_format=torch.channels_last)
    rates = {}
    for name, dtype in (("fp32", None), ("bf16 autocast", torch.bfloat16)):
        rates[name] = train_rate(net, space, rng, dtype, args.steps, args.batch, device)
        print(
            f"supernet training, M2, 224x224, batch {args.batch}, {name}: {rates[name]:,.0f} images/s"
        )
    best = max(rates, key=rates.get)
    if args.train_only:
        return
    dtype = torch.bfloat16 if best.startswith("bf16") else None
    per_candidate = candidate_seconds(net, space, rng, dtype, args.candidates, device)
    print(
        f"candidate evaluation ({best}): {per_candidate:.2f} s (BN recalibration 2,560 images + 10,000 val images)"
    )
    supernet_h = 64 * IMAGENET_TRAIN / rates[best] / 3600
    search_h = 1050 * per_candidate / 3600
    print(
        f"paper-scale: supernet 64 epochs {supernet_h:.1f} GPU-h + search 1,050 candidates {search_h:.2f} GPU-h"
        f" = {supernet_h + search_h:.1f} GPU-h on this card (paper: 26-32 GPU-h in total, Table 2)"
    )
    if device.type == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
