"""Can the ImageFolder data path keep a GPU fed? Images/s per CPU core, and GPU decoding.

Writes synthetic JPEGs of ImageNet size (500x375, quality 90, smooth noise: ~100 KB like
ImageNet's average), loads them with ``evogroup.torch.data.load_data`` (so decoding and
augmentation are exactly what training does: PIL decode, Resize(256), RandomCrop(224),
flip, to float, normalize) and prints

1. images/s of one loader process (one CPU core), and of a DataLoader with 1..N workers;
2. on CUDA, images/s of batched decoding on the GPU (``torchvision.io.decode_jpeg`` on
   the device, then the same augmentation on the GPU), with only file reading on the CPU;
3. how many loader cores a GPU training at ``--rate`` images/s needs.

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
from torch.utils.data import DataLoader

from evogroup.torch.data import load_data
from evogroup.torch.folders import IMAGENET_MEAN, IMAGENET_STD


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


def gpu_decode_rate(files: list[str], batch: int, device: torch.device) -> float:
    """Images/s of: read the files (CPU), ``decode_jpeg`` batched on ``device``, then
    Resize(256), RandomCrop(224), flip, normalize on the device."""
    from torchvision.io import decode_jpeg, read_file
    from torchvision.transforms.v2 import functional as TF

    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)

    def one_batch(paths: list[str]) -> torch.Tensor:
        raw = [read_file(p) for p in paths]
        out = []
        for img in decode_jpeg(raw, device=device):
            img = TF.resize(img, [256], antialias=True)
            h, w = img.shape[-2:]
            top, left = (int(torch.randint(0, s - 224 + 1, ())) for s in (h, w))
            img = img[:, top : top + 224, left : left + 224]
            out.append(img.flip(-1) if torch.rand(()) < 0.5 else img)
        x = torch.stack(out).float().div_(255)
        return (x - mean) / std

    one_batch(files[:batch])  # warm up nvjpeg
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    chunks = [files[i : i + batch] for i in range(0, len(files) - batch + 1, batch)]
    for chunk in chunks:
        one_batch(chunk)
    torch.cuda.synchronize(device)
    return sum(map(len, chunks)) / (time.perf_counter() - start)


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
        if torch.cuda.is_available():
            files = [str(f) for f in sorted((root / "train").rglob("*.jpg"))]
            rate = gpu_decode_rate(files, args.batch, torch.device("cuda"))
            print(
                f"2. GPU decode (nvjpeg, batched) + augmentation on the GPU: {rate:,.0f} images/s"
            )
        else:
            print("2. GPU decode: no CUDA device here")
        print(
            f"3. a GPU training at {args.rate:,.0f} images/s needs about"
            f" {math.ceil(args.rate / one)} loader cores at {one:,.0f} images/s each"
        )


if __name__ == "__main__":
    main()
