"""Can the ImageFolder data path keep a GPU fed? Images/s per CPU core, and GPU decoding.

Writes synthetic JPEGs of ImageNet size (500x375, quality 90, smooth noise: ~100 KB like
ImageNet's average), loads them with ``evogroup.torch.data.load_data`` (so decoding and
augmentation are exactly what training does: PIL decode, Resize(256), RandomCrop(224),
flip, to float, normalize) and prints

1. images/s of one loader process (one CPU core), and of a DataLoader with 1..N workers;
2. on CUDA, images/s of ``--decode gpu`` (:mod:`evogroup.torch.jpeg`: batched
   ``torchvision.io.decode_jpeg`` on the device, then the same augmentation on the GPU),
   with only file reading on the CPU;
3. how many loader cores a GPU training at ``--rate`` images/s needs, decoding with PIL
   on them or (``--decode gpu``) only reading files on them.

Run: python benchmarks/loader.py [--images 512] [--workers 2] [--rate 8500]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Subset

from evogroup.torch.data import load_data
from evogroup.torch.jpeg import DeviceTransform, EncodedImages, collate_encoded, device_loader


def write_jpegs(root: Path, n: int, seed: int = 0) -> None:
    """``n`` JPEGs in ``root/{train,val}/{a,b}``, 500x375, smooth noise (ImageNet-like size)."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", n), ("val", max(4, n // 8))):
        for i in range(count):
            folder = root / split / "ab"[i % 2]
            folder.mkdir(parents=True, exist_ok=True)
            coarse = rng.integers(0, 256, (47, 63, 3), dtype=np.uint8)
            img = Image.fromarray(coarse).resize((500, 375), Image.BICUBIC)
            noisy = np.asarray(img, dtype=np.int16) + rng.integers(-12, 13, (375, 500, 3))
            Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(
                folder / f"{i}.jpg", quality=90
            )


def per_core(dataset, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        dataset[i % len(dataset)]
    return n / (time.perf_counter() - start)


def loader_rate(dataset, workers: int, batch: int) -> float:
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0)  # fmt: skip
    it = iter(loader)
    next(it)  # workers started
    start, seen = time.perf_counter(), 0
    for x, _ in it:
        seen += len(x)
    return seen / (time.perf_counter() - start)


def gpu_decode_rates(dataset, batch: int, workers: int, device) -> tuple[float, float]:
    """Images/s of ``--decode gpu`` (:mod:`evogroup.torch.jpeg`, what training runs): the
    device alone (batched ``decode_jpeg``, Resize(256), RandomCrop(224), flip, normalize on
    batches read into memory beforehand), and the whole loader (``workers`` processes read
    the files, the main process decodes on the device), over the files repeated so that
    each worker makes some 20 batches (started workers, not starting ones, are timed)."""
    augment = torch.Generator().manual_seed(0)
    encoded = EncodedImages(dataset)
    batches = [collate_encoded([encoded[i] for i in range(j, j + batch)])
               for j in range(0, len(encoded) - batch + 1, batch)]  # fmt: skip
    transform = DeviceTransform(device, training=True, generator=augment)
    transform(batches[0])  # warm up nvjpeg
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    for b in batches:
        transform(b)
    torch.cuda.synchronize(device)
    alone = sum(len(b.lengths) for b in batches) / (time.perf_counter() - start)
    repeats = math.ceil(20 * max(1, workers) * batch / len(dataset))
    files = Subset(dataset, list(range(len(dataset))) * repeats)
    loader = device_loader(files, batch, device=device, training=True, augment=augment,
                           num_workers=workers)  # fmt: skip
    it = iter(loader)
    next(it)  # workers started
    torch.cuda.synchronize(device)
    start, seen = time.perf_counter(), 0
    for x, _ in it:
        seen += len(x)
    torch.cuda.synchronize(device)
    return alone, seen / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=512, help="synthetic training JPEGs")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="most DataLoader workers")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rate", type=float, default=8500,
                   help="images/s the GPU trains at (benchmarks/gpu.py)")  # fmt: skip
    args = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_jpegs(root, args.images)
        data = load_data(root)
        kb = np.mean([f.stat().st_size for f in (root / "train").rglob("*.jpg")]) / 1024
        print(f"{args.images} synthetic JPEGs, 500x375, {kb:.0f} KB on average;"
              f" {os.cpu_count()} cores; torch {torch.__version__}")  # fmt: skip
        print("training transform: Resize(256), RandomCrop(224), flip, ToImage, ToDtype, Normalize")
        one = per_core(data.train, args.images)
        print(f"1. one core (decode + augment in the main process): {one:7,.0f} images/s")
        for w in range(1, args.workers + 1):
            print(f"   DataLoader, {w} worker(s):                       "
                  f"{loader_rate(data.train, w, args.batch):7,.0f} images/s")  # fmt: skip
        read = per_core(EncodedImages(data.train), args.images)
        print(f"2. --decode gpu: one core reads {read:,.0f} images/s (file bytes, no decoding)")
        if torch.cuda.is_available():
            alone, loaded = gpu_decode_rates(
                data.train, args.batch, args.workers, torch.device("cuda")
            )
            print(f"   decode (nvjpeg, batched) + augmentation on the GPU: {alone:,.0f} images/s;"
                  f" with {args.workers} loader worker(s) reading the files: {loaded:,.0f}")  # fmt: skip
        else:
            print("   GPU decode: no CUDA device here")
        print(
            f"3. a GPU training at {args.rate:,.0f} images/s needs about"
            f" {math.ceil(args.rate / one)} loader cores at {one:,.0f} images/s each;"
            f" with --decode gpu, {math.ceil(args.rate / read)} at {read:,.0f} images/s each"
        )


if __name__ == "__main__":
    main()
