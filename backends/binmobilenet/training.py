"""Training: the supernet with a random genome per step, and a searched network from scratch.

The recipe is the paper's (Sec. 4.1): Adam (betas 0.9, 0.999), lr 1e-3 decayed linearly
to 0 over all steps, batch 512; 64 epochs for the supernet and 256 for the final model
on ImageNet. :func:`default_recipe` scales it down for the small built-in data so the
default CLI demo runs in minutes on a laptop CPU.

Each epoch writes a metrics CSV and an atomic checkpoint (model, optimizer, scheduler,
RNG states, metadata; see :mod:`binmobilenet.checkpoints`); ``resume=True`` continues
from it and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import csv
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from binmobilenet.checkpoints import (
    MODEL_CHECKPOINT,
    MODEL_CSV,
    MODEL_KIND,
    SUPERNET_CHECKPOINT,
    SUPERNET_CSV,
    SUPERNET_KIND,
    check_resumable,
    load_checkpoint,
    load_supernet,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from binmobilenet.data import DataSplits
from evogroup.io import atomic_open

__all__ = [
    "Recipe",
    "default_recipe",
    "evaluate",
    "load_supernet",
    "make_loader",
    "resolve_device",
    "train_model",
    "train_supernet",
]

_FILES = {
    SUPERNET_KIND: (SUPERNET_CHECKPOINT, SUPERNET_CSV),
    MODEL_KIND: (MODEL_CHECKPOINT, MODEL_CSV),
}


@dataclass(frozen=True)
class Recipe:
    """Training and fitness settings for one dataset.

    Attributes:
        supernet_epochs: epochs of supernet training (paper: 64).
        final_epochs: epochs of the final, from-scratch training (paper: 256).
        batch_size: images per step (paper: 512).
        lr: Adam's initial learning rate for the supernet, decayed linearly to 0 (paper: 1e-3).
        final_lr: the same for the final model (paper: 1e-3).
        recal_images: training images forwarded to recalibrate BatchNorm per genome.
        eval_batch_size: images per forward pass in evaluation and recalibration.
    """

    supernet_epochs: int
    final_epochs: int
    batch_size: int
    lr: float = 1e-3
    final_lr: float = 1e-3
    recal_images: int = 1024
    eval_batch_size: int = 512


def default_recipe(data_name: str = "digits", image_size: int | None = None) -> Recipe:
    """The default recipe for a dataset name (``DataSplits.name``) and training resolution.

    ImageNet-sized images get the paper's recipe. Digits gets a CPU demo: 30 epochs of 20
    steps take about 3.3 minutes for M2 at width 1.0 on 2 cores (5.5 s per epoch). Under a
    new random genome every step the supernet sits near chance for the first few hundred
    steps; with lr 1e-3 it rarely leaves that plateau within a demo's budget, with 5e-3 it
    does (about 50% top-1 on search-val after recalibration). A single static net learns
    digits at 1e-3 (95-99% test top-1 in 30 epochs).

    Example:
        >>> default_recipe("imagefolder", 224).supernet_epochs
        64
    """
    if data_name == "digits":
        return Recipe(30, 30, batch_size=64, lr=5e-3, final_lr=1e-3, recal_images=128)
    if data_name == "imagefolder" and (image_size or 224) >= 224:  # the paper's ImageNet recipe
        return Recipe(64, 256, batch_size=512, lr=1e-3, final_lr=1e-3, recal_images=4096)
    return Recipe(64, 128, batch_size=256, lr=1e-3, final_lr=1e-3, recal_images=2048)  # unmeasured


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a torch.device; ``None`` picks CUDA when available, else the CPU."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    num_workers: int = 0,
    device: torch.device | None = None,
) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=num_workers,
        persistent_workers=False,
        pin_memory=device is not None and device.type == "cuda",
    )


def evaluate(
    model: nn.Module,
    data: Dataset | DataLoader | Iterable,
    device: str | torch.device | None = None,
    *,
    batch_size: int = 512,
) -> tuple[float, float]:
    """Top-1 and top-5 accuracy of ``model`` in percent (eval mode, inference mode).

    ``data`` is a Dataset, a DataLoader or any iterable of ``(images, labels)`` batches.
    """
    device = resolve_device(device)
    if isinstance(data, Dataset):
        data = make_loader(data, batch_size, device=device)
    was_training = model.training
    model.eval()
    top1 = top5 = total = 0
    with torch.inference_mode():
        for x, y in data:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            logits = model(x)
            k = min(5, logits.shape[1])
            hit = logits.topk(k, dim=1).indices.eq(y[:, None])
            top1 += hit[:, 0].sum().item()
            top5 += hit.any(dim=1).sum().item()
            total += len(y)
    model.train(was_training)
    if total == 0:
        raise ValueError("evaluate() needs at least one image, but the data is empty")
    return 100.0 * top1 / total, 100.0 * top5 / total


def train_supernet(
    net: nn.Module,
    data: DataSplits,
    *,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    out_dir: str | os.PathLike,
    seed: int = 0,
    device: str | torch.device | None = None,
    resume: bool = False,
    progress: bool = True,
    num_threads: int | None = None,
) -> Path:
    """Train a weight-sharing supernet with a uniformly random genome at every step.

    Writes ``supernet_metrics.csv`` and the checkpoint ``supernet.pt`` into ``out_dir``
    after every epoch. With ``resume=True`` an existing checkpoint is continued (its
    recipe must match); without it, training starts over.

    Returns:
        The path of the checkpoint.

    Example:
        >>> net = SuperNet("M2", num_classes=10, width_mult=0.25)  # doctest: +SKIP
        >>> train_supernet(net, load_data(), epochs=1, batch_size=64, out_dir="runs/x")  # doctest: +SKIP
    """
    space = net.space
    choices = [layer.choices for layer in space.layers]

    def forward(model: nn.Module, x: torch.Tensor, rng: random.Random) -> torch.Tensor:
        return model(x, tuple(rng.choice(c) for c in choices))

    meta = {
        **net.config,  # module, num_classes, width_mult
        "image_size": data.image_size,
        "data": data.describe(),
        "space": space.fingerprint(),
    }
    recipe = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed}
    run = {"device": device, "resume": resume, "progress": progress, "num_threads": num_threads}
    _fit(net, data, forward, Path(out_dir), SUPERNET_KIND, meta, recipe, **run)
    return Path(out_dir) / SUPERNET_CHECKPOINT


def train_model(
    model: nn.Module,
    data: DataSplits,
    *,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    out_dir: str | os.PathLike,
    seed: int = 0,
    device: str | torch.device | None = None,
    resume: bool = False,
    progress: bool = True,
    num_threads: int | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train a static network from scratch with the same recipe and report test accuracy.

    Writes ``train_metrics.csv`` (with test top-1/top-5 per epoch) and ``model.pt`` into
    ``out_dir``; ``meta`` (e.g. the genome and its FLOPs) is stored in the checkpoint.

    Returns:
        ``{"top1", "top5", "epochs", "seconds", "params", "checkpoint", "metrics_csv"}``.
    """
    recipe = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed}
    config = getattr(model, "config", {})  # a BinMobileNet's module, genome, ...
    meta = {**config, **(meta or {}), "image_size": data.image_size, "data": data.describe()}
    out = Path(out_dir)
    run = {"device": device, "resume": resume, "progress": progress, "num_threads": num_threads}
    history = _fit(model, data, lambda m, x, rng: m(x), out, MODEL_KIND, meta, recipe, **run)
    last = history[-1]
    return {
        "top1": last["test_top1"],
        "top5": last["test_top5"],
        "epochs": epochs,
        "seconds": sum(h["seconds"] for h in history),
        "params": sum(p.numel() for p in model.parameters()),
        "checkpoint": str(out / MODEL_CHECKPOINT),
        "metrics_csv": str(out / MODEL_CSV),
    }


def _fit(
    model: nn.Module,
    data: DataSplits,
    forward: Callable[[nn.Module, torch.Tensor, random.Random], torch.Tensor],
    out_dir: Path,
    kind: str,
    meta: dict[str, Any],
    recipe: dict[str, Any],
    *,
    device: str | torch.device | None,
    resume: bool,
    progress: bool,
    num_threads: int | None,
) -> list[dict[str, Any]]:
    """The shared loop: Adam, linear decay per step, one checkpoint and CSV per epoch
    (a final model is also evaluated on test after every epoch)."""
    ckpt_path, csv_path = (out_dir / name for name in _FILES[kind])
    evaluate_each_epoch = kind == MODEL_KIND
    if recipe["epochs"] < 1 or recipe["batch_size"] < 1:
        raise ValueError(f"epochs >= 1 and batch_size >= 1 must hold, but got {recipe}")
    torch.set_num_threads(num_threads or os.cpu_count() or 1)
    device = resolve_device(device)
    model.to(device)
    loader_gen = torch.Generator().manual_seed(recipe["seed"])
    loader = make_loader(
        data.train,
        recipe["batch_size"],
        shuffle=True,
        generator=loader_gen,
        num_workers=data.num_workers,
        device=device,
    )
    test_loader = make_loader(data.test, 512, num_workers=data.num_workers, device=device)
    total = recipe["epochs"] * len(loader)
    # fused: one kernel for all ~29M supernet weights; plain Adam made the supernet step
    # 1.45x the static one on CPU, fused 1.03x (benchmarks/supernet.py).
    optimizer = torch.optim.Adam(
        model.parameters(), lr=recipe["lr"], betas=(0.9, 0.999), fused=True
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / total))
    rng = random.Random(recipe["seed"])  # genomes; owned by this run
    history: list[dict[str, Any]] = []
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):  # the caller's global RNG is left as it was
        torch.manual_seed(recipe["seed"])
        start = 1
        if resume and ckpt_path.is_file():
            ckpt = load_checkpoint(ckpt_path, kind)
            check_resumable(ckpt_path, ckpt, meta, recipe)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            set_rng_states(ckpt["rng"], rng, loader_gen, device)
            history, start = list(ckpt["history"]), ckpt["epoch"] + 1
        for epoch in range(start, recipe["epochs"] + 1):
            row = _train_epoch(
                model,
                loader,
                forward,
                optimizer,
                scheduler,
                rng,
                device,
                desc=f"{kind.rsplit('.', 1)[-1]} {epoch}/{recipe['epochs']}",
                progress=progress,
            )
            if evaluate_each_epoch:
                t0 = time.perf_counter()
                row["test_top1"], row["test_top5"] = evaluate(model, test_loader, device)
                row["seconds"] += time.perf_counter() - t0
            history.append({"epoch": epoch, **row})
            state = {
                "kind": kind,
                "version": 1,
                "epoch": epoch,
                "complete": epoch == recipe["epochs"],
                "meta": meta,
                "recipe": recipe,
                "history": history,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng_states(rng, loader_gen, device),
            }
            save_checkpoint(ckpt_path, state)
            _write_csv(csv_path, history)
    return history


def _train_epoch(model, loader, forward, optimizer, scheduler, rng, device, *, desc, progress):
    model.train()
    t0 = time.perf_counter()
    loss_sum = correct = seen = 0.0
    bar = tqdm(loader, desc=desc, disable=not progress, leave=False, dynamic_ncols=True)
    for x, y in bar:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        logits = forward(model, x, rng)
        loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += loss.item() * len(y)
        correct += logits.argmax(1).eq(y).sum().item()
        seen += len(y)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{100 * correct / seen:.1f}")
    bar.close()
    return {
        "loss": loss_sum / max(seen, 1),
        "train_acc": 100.0 * correct / max(seen, 1),
        "lr": scheduler.get_last_lr()[0],
        "seconds": time.perf_counter() - t0,
    }


def _write_csv(path: Path, history: list[dict[str, Any]]) -> None:
    """The whole history, rewritten atomically (so a resumed run never duplicates rows)."""
    with atomic_open(path, "w") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(history[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
