"""Can the ImageFolder data path keep a GPU fed? PIL workers, device decoding, and
device decoding overlapped with a training step.

Writes synthetic JPEGs of ImageNet sizes (500x375 and its neighbours, quality 90, smooth
noise: ~100 KB like ImageNet's average; or reads ``--data``), loads them with
``evogroup.torch.data.sources.load_data`` (so decoding and augmentation are exactly what
training does) and prints

1. images/s of one loader process (PIL decode + augment on one CPU core), and of a
   DataLoader with 1..N workers;
2. images/s of ``--decode gpu`` (:mod:`evogroup.torch.data.loaders`: workers read file bytes,
   batched ``torchvision.io.decode_jpeg`` and the augmentation on the device), alone and
   through the loader, which decodes the next batch on a side stream;
3. with ``--step``, images/s of training the masked supernet (M2, ``--width``, compiled on
   CUDA, a random genome every step as :func:`evogroup.torch.train.steps.supernet_step` draws)
   on those batches: decoded when asked (serial) and one batch ahead on the side
   stream (overlapped), side by side, with the loader's own rate for scale;
4. how many loader cores a GPU training at ``--rate`` images/s needs.

Run: python benchmarks/loader.py [--images 512] [--workers 2] [--rate 8500] [--step]
     python benchmarks/loader.py --write DIR --images 3000 [--classes 10]   (only write)
On a machine without CUDA the device path runs on the CPU (libjpeg-turbo), for a check.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Subset

from evogroup.torch.data.jpeg import DeviceTransform, EncodedImages, collate_encoded
from evogroup.torch.data.loaders import loader
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.runtime import Runtime

SIZES = ((500, 375), (375, 500), (500, 333), (640, 480), (400, 300))  # common ImageNet shapes


def _write_one(job: tuple[Path, int, int]) -> None:
    path, i, seed = job
    rng = np.random.default_rng([seed, i])
    w, h = SIZES[i % len(SIZES)]
    coarse = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    img = Image.fromarray(coarse).resize((w, h), Image.BICUBIC)
    noisy = np.asarray(img, dtype=np.int16) + rng.integers(-12, 13, (h, w, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(path, quality=90)


def write_jpegs(root: Path, n: int, seed: int = 0, classes: int = 2) -> None:
    """``n`` training JPEGs in ``root/train/<class>`` and ``n // 8`` in ``root/val/<class>``
    (an ImageFolder tree), ImageNet-like sizes, written by all cores."""
    jobs = [
        (root / split / f"c{i % classes}" / f"{i}.jpg", i + offset, seed)
        for split, count, offset in (("train", n, 0), ("val", max(2 * classes, n // 8), n))
        for i in range(count)
    ]
    with multiprocessing.Pool(os.cpu_count()) as pool:
        pool.map(_write_one, jobs, chunksize=16)


def per_core(dataset, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        dataset[i % len(dataset)]
    return n / (time.perf_counter() - start)


def loader_rate(batches) -> float:
    """Images/s of started workers (the first batch, which starts them, is not timed)."""
    it = iter(batches)
    next(it)
    sync()
    start, seen = time.perf_counter(), 0
    for x, _ in it:
        seen += len(x)
    sync()
    return seen / (time.perf_counter() - start)


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def repeated(dataset, batch: int, workers: int, batches: int) -> Subset:
    """The files repeated so that each worker makes some ``batches`` batches."""
    times = math.ceil(batches * max(1, workers) * batch / len(dataset))
    return Subset(dataset, list(range(len(dataset))) * times)


def device_rates(dataset, args, runtime: Runtime) -> tuple[float, float]:
    """Images/s of the device transform alone (batches read into memory first), and of the
    overlapped loader with ``workers`` processes reading the files."""
    batch, workers = args.batch, args.workers
    augment = torch.Generator().manual_seed(0)
    encoded = EncodedImages(dataset)
    batches = [
        collate_encoded([encoded[i] for i in range(j, j + batch)])
        for j in range(0, len(encoded) - batch + 1, batch)
    ]
    transform = DeviceTransform(runtime.device, training=True, generator=augment)
    transform(batches[0])  # warm up nvjpeg
    sync()
    start = time.perf_counter()
    for b in batches:
        transform(b)
    sync()
    alone = sum(len(b.lengths) for b in batches) / (time.perf_counter() - start)
    files = repeated(dataset, batch, workers, args.batches)
    return alone, loader_rate(
        loader(files, batch, runtime, True, augment=augment, num_workers=workers)
    )


def step_rates(dataset, args, runtime: Runtime) -> tuple[float, float]:
    """Training images/s of the masked supernet on device-decoded batches: each batch
    decoded on the training stream when asked (serial), and decoded one batch ahead on
    a side stream (the loader's overlap)."""
    from binmobilenet.supernet import SuperNet

    from evogroup.torch.device.accel import prepare
    from evogroup.torch.options.recipe import TrainConfig
    from evogroup.torch.train.steps import supernet_step

    net = SuperNet("M2", num_classes=1000, width_mult=args.width, kernel="masked")
    speed = runtime.speed(net)
    runner = prepare(net, speed)
    opt = torch.optim.Adam(net.parameters(), fused=True)
    step, rng = supernet_step(net, TrainConfig(1, args.batch, 1e-3, 0)), random.Random(0)
    augment = torch.Generator().manual_seed(0)
    files = repeated(dataset, args.batch, args.workers, args.batches)
    overlapped = loader(files, args.batch, runtime, True, augment=augment, num_workers=args.workers)
    transform = overlapped.transform

    def serial():
        for batch in overlapped.files:
            yield transform(batch), batch.labels.to(runtime.device)

    warm = min(3, len(overlapped) - 1)  # steps of compilation and the workers' start

    def rate(batches) -> float:
        start, seen = time.perf_counter(), 0
        for i, (x, y) in enumerate(batches):
            if i == warm:
                sync()
                start, seen = time.perf_counter(), 0
            opt.zero_grad(set_to_none=True)
            step(runner, speed.inputs(x), y, rng, speed)  # a random genome, as in training
            opt.step()
            seen += len(y)
        sync()
        return seen / (time.perf_counter() - start)

    return rate(serial()), rate(overlapped)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=512, help="synthetic training JPEGs")
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--write", type=Path, help="only write the JPEG tree here, then exit")
    p.add_argument("--data", type=Path, help="an ImageFolder tree to read instead")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="most DataLoader workers")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batches", type=int, default=20, help="per worker in a timed pass")
    p.add_argument("--step", action="store_true", help="also time training steps (row 3)")
    p.add_argument("--width", type=float, default=1.0, help="the supernet's width (row 3)")
    p.add_argument(
        "--rate", type=float, default=8500, help="images/s the GPU trains at (benchmarks/gpu.py)"
    )
    args = p.parse_args()
    if args.write:
        write_jpegs(args.write, args.images, classes=args.classes)
        print(f"wrote {args.images} training JPEGs to {args.write}")
        return
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data or Path(tmp)
        if args.data is None:
            write_jpegs(root, args.images, classes=args.classes)
        report(load_data(root), root, args)


def report(data, root: Path, args: argparse.Namespace) -> None:
    files = [f for f in (root / "train").rglob("*") if f.is_file()]
    kb = np.mean([f.stat().st_size for f in files]) / 1024
    print(
        f"{len(files)} training JPEGs, {kb:.0f} KB on average; {os.cpu_count()} cores;"
        f" torch {torch.__version__}; batch {args.batch}"
    )
    one = per_core(data.train, min(len(data.train), 256))
    print(f"1. one core (PIL decode + augment in the main process): {one:7,.0f} images/s")
    for w in sorted({1, max(1, args.workers // 2), args.workers}):
        batches = DataLoader(
            repeated(data.train, args.batch, w, args.batches),
            batch_size=args.batch,
            shuffle=True,
            num_workers=w,
        )
        print(
            f"   DataLoader, {w:2d} worker(s):                         "
            f"{loader_rate(batches):7,.0f} images/s"
        )
    read = per_core(EncodedImages(data.train), min(len(data.train), 1024))
    runtime = Runtime.resolve(kernel="masked", decode="auto")
    runtime = Runtime(runtime.device, "masked", "gpu", runtime.compile)  # decode here, even a CPU
    print(f"2. --decode gpu: one core reads {read:,.0f} images/s (file bytes, no decoding)")
    alone, loaded = device_rates(data.train, args, runtime)
    print(
        f"   decode (batched) + augmentation on {runtime.device}: {alone:,.0f} images/s;"
        f" overlapped loader, {args.workers} worker(s) reading: {loaded:,.0f}"
    )
    if args.step:
        serial, overlapped = step_rates(data.train, args, runtime)
        print(
            f"3. training the masked supernet (M2, width {args.width:g}) on these batches:"
            f" decoded when asked {serial:,.0f} images/s, overlapped {overlapped:,.0f}"
            f" ({overlapped / serial:.2f}x)"
        )
    print(
        f"4. a GPU training at {args.rate:,.0f} images/s needs about"
        f" {math.ceil(args.rate / one)} loader cores at {one:,.0f} images/s each;"
        f" with --decode gpu, {math.ceil(args.rate / read)} at {read:,.0f} images/s each"
    )


if __name__ == "__main__":
    main()
