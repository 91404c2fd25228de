"""Training: the supernet with a random genome per step, and a searched network from scratch.

The recipe is the paper's (Sec. 4.1): Adam (betas 0.9, 0.999), lr 1e-3 decayed linearly
to 0 over all steps, batch 512; 64 epochs for the supernet and 256 for the final model
on ImageNet. :func:`default_recipe` scales it down for the small built-in data so the
default CLI demo runs in minutes on a laptop CPU.

Each epoch writes a metrics CSV and an atomic checkpoint (model, optimizer, scheduler,
RNG states, metadata; see :mod:`evogroup.torch.checkpoints`); ``resume=True`` continues
from it and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import csv
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler
from tqdm.auto import tqdm

from evogroup.core import launch
from evogroup.core.errors import DeviceError, OptionError
from evogroup.core.io import atomic_open
from evogroup.rundir.layout import RunLayout
from evogroup.torch import distributed
from evogroup.torch.accel import Speed, choose_speed, prepare
from evogroup.torch.backend import SAMPLING
from evogroup.torch.checkpoints import (
    check_resumable,
    load_checkpoint,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from evogroup.torch.choice_bn import per_choice_bn
from evogroup.torch.data import DataSplits
from evogroup.torch.jpeg import decoded_loaders, resolve_decode
from evogroup.torch.protocol import WeightSharingNet
from evogroup.torch.steps import Step, check_levers, learn_static, supernet_step

__all__ = [
    "Recipe",
    "TrainConfig",
    "default_recipe",
    "evaluate",
    "make_loader",
    "resolve_device",
    "seeded",
    "train_network",
    "train_supernet",
]


_PAPER_SAMPLING = {"sampling": "uniform", "distill": False, "budget": None, "fair": False,
                   "sandwich_genomes": 3, "bn_per_choice": False, "weight_decay": 0.0}


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
        sampling, distill: the supernet's genomes per step (see :class:`TrainConfig`).
    """

    supernet_epochs: int
    final_epochs: int
    batch_size: int
    lr: float = 1e-3
    final_lr: float = 1e-3
    recal_images: int = 1024
    eval_batch_size: int = 512
    sampling: str = "uniform"
    distill: bool = False


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
    """``device`` as a torch.device; ``None`` picks CUDA when available, else the CPU.

    Raises:
        OptionError: ``device`` is not a device name.
        DeviceError: ``device`` names one this machine lacks (``cuda`` without a GPU,
            ``cuda:3`` with two, ``mps`` off a Mac).
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise OptionError(
            f"--device must be cpu, cuda, cuda:N or mps, but got {device!r}"
        ) from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceError(
                f"--device {device}: CUDA is not available on this machine; use --device cpu"
            )
        if dev.index is not None and dev.index >= count:
            raise DeviceError(
                f"--device {device}: this machine has {count} CUDA device(s),"
                f" cuda:0..cuda:{count - 1}"
            )
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(
            f"--device {device}: MPS is not available on this machine; use --device cpu"
        )
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise OptionError(f"--device must be cpu, cuda, cuda:N or mps, but got {device!r}")
    return dev


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    num_workers: int = 0,
    device: torch.device | None = None,
    sampler: Sampler | None = None,
) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
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
    speed: Speed | None = None,
) -> tuple[float, float]:
    """Top-1 and top-5 accuracy of ``model`` in percent (eval mode, inference mode).

    ``data`` is a Dataset, a DataLoader or any iterable of ``(images, labels)`` batches.
    ``speed`` (see :mod:`evogroup.torch.accel`) sets autocast and the input memory
    format; hits are counted on the device and read back once.
    """
    device = resolve_device(device)
    speed = speed or Speed(device)
    if isinstance(data, Dataset):
        data = make_loader(data, batch_size, device=device)
    was_training = model.training
    model.eval()
    total = 0
    with torch.inference_mode():
        hits = torch.zeros(2, dtype=torch.long, device=device)
        for x, y in data:
            x, y = speed.inputs(x), y.to(device, non_blocking=True)
            with speed.autocast():
                logits = model(x)
            k = min(5, logits.shape[1])
            hit = logits.topk(k, dim=1).indices.eq(y[:, None])
            hits += torch.stack((hit[:, 0].sum(), hit.any(dim=1).sum()))
            total += len(y)
        top1, top5 = hits.tolist()
    model.train(was_training)
    if total == 0:
        raise ValueError("evaluate() needs at least one image, but the data is empty")
    return 100.0 * top1 / total, 100.0 * top5 / total


@dataclass(frozen=True)
class TrainConfig:
    """One training's settings; a checkpoint is resumed only with the same ones.

    Attributes:
        epochs, batch_size, lr: Adam with ``lr`` decayed linearly to 0 over all steps.
        seed: initialises the network (when built under :func:`seeded`), orders the data,
            drives augmentation and draws the supernet's genomes.
        sampling: the supernet's genomes per step (:func:`train_supernet`): ``"uniform"``,
            one random genome (the paper, SPOS); ``"sandwich"``, the largest, the
            smallest and one random genome, their gradients summed (BigNAS).
        distill: with ``"sandwich"``, the smallest and the random genome learn the
            largest genome's predictions (in-place distillation) instead of the labels.
        budget: the random genome is drawn under this cost budget (SPOS's constrained
            sampling; :func:`train_supernet` is given the draw), ``None`` from the whole space.
        fair: strictly fair sampling of the random genomes (every choice of every gene
            used equally often within a cycle; :class:`~evogroup.torch.steps.FairDraw`).
        sandwich_genomes: genomes per ``"sandwich"`` step: the largest, the smallest and
            ``sandwich_genomes - 2`` random ones.
        bn_per_choice: separate BatchNorm statistics and affine per choice of the preceding
            searchable conv's groups (:mod:`evogroup.torch.choice_bn`; :func:`train_supernet`
            converts the net, :func:`~evogroup.torch.checkpoints.load_supernet` again).
        weight_decay: decoupled weight decay (AdamW) on every weight; 0 is plain Adam.
    """

    epochs: int
    batch_size: int
    lr: float
    seed: int
    sampling: str = "uniform"
    distill: bool = False
    budget: float | None = None
    fair: bool = False
    sandwich_genomes: int = 3
    bn_per_choice: bool = False
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError(
                f"epochs >= 1, batch_size >= 1 and lr > 0 must hold, but got {self.to_json()}"
            )
        if self.sampling not in SAMPLING or (self.distill and self.sampling != "sandwich"):
            raise ValueError(
                f"sampling must be one of {SAMPLING} and distill needs 'sandwich', but got"
                f" {self.to_json()}"
            )
        check_levers(self)

    def to_json(self) -> dict[str, Any]:
        """The settings, the supernet's sampling ones only where they differ from the
        paper's (so a checkpoint written before they existed still resumes)."""
        out = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
               "seed": self.seed}  # fmt: skip
        extra = {k: getattr(self, k) for k in _PAPER_SAMPLING}
        return out | {k: v for k, v in extra.items() if v != _PAPER_SAMPLING[k]}


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the body with torch's global RNG seeded by ``seed`` (e.g. building a network, so
    its initial weights follow the run's seed); the caller's RNG state is restored after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def train_supernet(
    net: WeightSharingNet,
    data: DataSplits,
    config: TrainConfig,
    files: RunLayout,
    *,
    kind: str,
    meta: dict[str, Any],
    device: str | torch.device | None = None,
    resume: bool = False,
    progress: bool = True,
    compile: bool | None = None,
    sync_bn: bool = False,
    decode: str = "cpu",
    draw: Callable[[random.Random], tuple] | None = None,
) -> Path:
    """Train a weight-sharing supernet with a uniformly random genome at every step.

    The genome of each step is drawn from the run's own ``random.Random(config.seed)``
    with ``draw`` (default :func:`evogroup.core.operators.sample`, uniform over the space;
    :func:`evogroup.core.operators.sample_feasible` under ``config.budget``), and with
    ``config.sampling == "sandwich"`` trained beside the largest and the smallest
    genome (:func:`evogroup.torch.steps.supernet_step`). Writes ``files.supernet_csv``
    and the checkpoint ``files.supernet`` after every epoch; with ``resume=True`` an
    existing checkpoint is continued (its settings must match), without it training
    starts over. How it runs on the device (bf16, channels_last, ``compile``: default on
    for a fixed-shape net on CUDA) is :func:`evogroup.torch.accel.choose_speed`'s choice;
    ``decode`` where training JPEGs are decoded, ``"cpu"`` (PIL in the loader workers),
    ``"gpu"`` or ``"auto"`` (:func:`evogroup.torch.jpeg.resolve_decode`). Under
    ``torchrun`` every rank draws the same genome from the same seed (see :func:`_fit`
    for DDP).

    Returns:
        The path of the checkpoint.
    """
    if config.bn_per_choice:
        per_choice_bn(net)
    step = supernet_step(net, config, draw)
    meta = {**meta, "space": net.space.fingerprint()}
    _fit(net, data, step, (files.supernet, files.supernet_csv), kind, meta, config,
         device=device, resume=resume, progress=progress, evaluate_each_epoch=False,
         compile=compile, sync_bn=sync_bn, decode=decode)  # fmt: skip
    return files.supernet


def train_network(
    model: nn.Module,
    data: DataSplits,
    config: TrainConfig,
    files: RunLayout,
    *,
    kind: str,
    meta: dict[str, Any],
    device: str | torch.device | None = None,
    resume: bool = False,
    progress: bool = True,
    compile: bool | None = None,
    sync_bn: bool = False,
    decode: str = "cpu",
) -> dict[str, Any]:
    """Train a static network from scratch and report its test accuracy (on the device as
    :func:`train_supernet` says).

    Writes ``files.model_csv`` (with test top-1/top-5 per epoch) and ``files.model``.

    Returns:
        ``{"top1", "top5", "epochs", "seconds", "params", "checkpoint", "metrics_csv"}``.
    """
    history = _fit(model, data, learn_static, (files.model, files.model_csv), kind,
                   meta, config, device=device, resume=resume, progress=progress,
                   evaluate_each_epoch=True, compile=compile, sync_bn=sync_bn,
                   decode=decode)  # fmt: skip
    last = history[-1]
    return {
        "top1": last["test_top1"],
        "top5": last["test_top5"],
        "epochs": config.epochs,
        "seconds": sum(h["seconds"] for h in history),
        "params": sum(p.numel() for p in model.parameters()),
        "checkpoint": str(files.model),
        "metrics_csv": str(files.model_csv),
    }


def _fit(
    model: nn.Module,
    data: DataSplits,
    step: Step,
    paths: tuple[Path, Path],
    kind: str,
    meta: dict[str, Any],
    config: TrainConfig,
    *,
    device: str | torch.device | None,
    resume: bool,
    progress: bool,
    evaluate_each_epoch: bool,
    compile: bool | None = None,
    sync_bn: bool = False,
    decode: str = "cpu",
) -> list[dict[str, Any]]:
    """The shared loop: Adam, linear decay per step, one checkpoint and CSV per epoch
    (a final model is also evaluated on test after every epoch).

    Under ``torchrun`` (:mod:`evogroup.torch.distributed`) the model trains under DDP:
    ``config.batch_size`` is the global batch, split evenly over the ranks, so the
    learning rate and the number of steps are those of one process; a
    :class:`DistributedSampler` deals each global batch out (1 process: the same batches
    whole); with ``sync_bn`` BatchNorm normalizes over the global batch (CUDA only);
    rank 0 alone writes the checkpoint and the CSV."""
    ckpt_path, csv_path = paths
    recipe = config.to_json()
    device = distributed.init_from_env(resolve_device(device))
    world, rank = launch.world_size(), launch.rank()
    _check_world(config.batch_size, world, sync_bn, device)
    progress = progress and launch.is_main()
    speed = choose_speed(model, device, compile)
    runner = prepare(_ddp(model, speed, sync_bn), speed)  # DDP and/or torch.compile, or model
    loader_gen = torch.Generator().manual_seed(config.seed)
    sampler = DistributedSampler(data.train, world, rank, shuffle=True, seed=config.seed)
    if resolve_decode(decode, device, data) == "gpu":  # JPEGs decoded on the device
        loader, test_loader = decoded_loaders(data, config.batch_size // world, device=device,
                                              sampler=sampler, generator=loader_gen)  # fmt: skip
    else:
        loader = make_loader(data.train, config.batch_size // world, sampler=sampler,
                             generator=loader_gen, num_workers=data.num_workers,
                             device=device)  # fmt: skip
        test_loader = make_loader(data.test, 512, num_workers=data.num_workers, device=device)
    total = config.epochs * len(loader)
    # fused: one kernel for all ~29M supernet weights; plain Adam made the supernet step
    # 1.45x the static one on CPU, fused 1.03x (benchmarks/supernet.py).
    adam = torch.optim.AdamW if config.weight_decay else torch.optim.Adam
    optimizer = adam(model.parameters(), lr=config.lr, betas=(0.9, 0.999),
                     weight_decay=config.weight_decay, fused=True)  # fmt: skip
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / total))
    rng = random.Random(config.seed)  # genomes; owned by this run
    history: list[dict[str, Any]] = []
    cuda = [device.index or 0] if device.type == "cuda" else []
    if progress and world > 1:
        tqdm.write(f"DDP: {world} processes, global batch {config.batch_size}"
                   f" ({config.batch_size // world} per process), lr {config.lr:g}")  # fmt: skip
    with torch.random.fork_rng(devices=cuda):  # the caller's global RNG is left as it was
        torch.manual_seed(config.seed + rank)  # augmentation: its own stream per rank
        start = 1
        if resume and ckpt_path.is_file():
            ckpt = load_checkpoint(ckpt_path, kind)
            check_resumable(ckpt_path, ckpt, meta, recipe)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            set_rng_states(ckpt["rng"], rng, loader_gen, device)
            if len(ckpt["rng"].get("ranks", ())) == world:
                torch.set_rng_state(ckpt["rng"]["ranks"][rank])
            history, start = list(ckpt["history"]), ckpt["epoch"] + 1
        if hasattr(step, "resume_at"):  # a step that counts its steps (fair sampling)
            step.resume_at((start - 1) * len(loader))
        distributed.check_same(start, "the epoch to start from (same --out and --resume)")
        for epoch in range(start, config.epochs + 1):
            sampler.set_epoch(epoch)
            row = _train_epoch(runner, loader, step, optimizer, scheduler, rng, speed,
                               desc=f"{kind.rsplit('.', 1)[-1]} {epoch}/{config.epochs}",
                               progress=progress)  # fmt: skip
            distributed.broadcast_buffers(model)  # one model on every rank
            if evaluate_each_epoch:  # on every rank, so all return the same history
                t0 = time.perf_counter()
                scorer = model if distributed.active() else runner  # no collectives in eval
                row["test_top1"], row["test_top5"] = evaluate(scorer, test_loader, device,
                                                              speed=speed)  # fmt: skip
                row["seconds"] += time.perf_counter() - t0
            history.append({"epoch": epoch, **row})
            state = {
                "kind": kind, "version": 2, "epoch": epoch, "complete": epoch == config.epochs,
                "meta": meta, "recipe": recipe, "history": history, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "rng": rng_states(rng, loader_gen, device),
            }  # fmt: skip
            if world > 1:
                state["rng"]["ranks"] = distributed.gather(torch.get_rng_state())
                state["distributed"] = {"processes": world, "global_batch": config.batch_size}
            if launch.is_main():
                save_checkpoint(ckpt_path, state)
                _write_csv(csv_path, history)
    return history




def _check_world(batch_size: int, world: int, sync_bn: bool, device: torch.device) -> None:
    if batch_size % world:
        raise OptionError(
            f"--batch-size (the global batch) must be a multiple of the {world} processes,"
            f" but got {batch_size}"
        )
    if sync_bn and world > 1 and device.type != "cuda":
        raise OptionError(f"--sync-bn needs CUDA (torch syncs BatchNorm on GPUs), but got {device}")


def _ddp(model: nn.Module, speed: Speed, sync_bn: bool) -> nn.Module:
    """``model`` wrapped in DDP when this process is one of several, else ``model``.

    Every weight is used at every step whatever the genome (the grouped kernel slices
    views of the full weight, the masked kernel multiplies it by a mask), so DDP needs no
    ``find_unused_parameters``."""
    if not distributed.active():
        return model
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # in place below the root
    model.to(speed.device)
    if speed.channels_last:  # before DDP, whose gradient buckets follow the weights' layout
        model.to(memory_format=torch.channels_last)
    ids = [speed.device.index] if speed.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


SHOW_EVERY = 10  # steps between progress-bar updates (each reads the device back)


def _train_epoch(model, loader, step_fn, optimizer, scheduler, rng, speed: Speed, *, desc,
                 progress):  # fmt: skip
    """One epoch; loss and hits are summed on the device and read back only for the
    progress bar (every :data:`SHOW_EVERY` steps) and at the end, so the host runs ahead."""
    model.train()
    t0 = time.perf_counter()
    seen = 0
    sums = torch.zeros(2, dtype=torch.float64, device=speed.device)  # loss * n, correct
    bar = tqdm(loader, desc=desc, disable=not progress, leave=False, dynamic_ncols=True)
    for step, (x, y) in enumerate(bar, 1):
        x, y = speed.inputs(x), y.to(speed.device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss, logits = step_fn(model, x, y, rng, speed)  # forward(s) and backward(s)
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            sums += torch.stack((loss.double() * len(y), logits.argmax(1).eq(y).sum().double()))
        seen += len(y)
        if progress and (step % SHOW_EVERY == 0 or step == len(loader)):
            loss_sum, correct = sums.tolist()
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{100 * correct / seen:.1f}")
    bar.close()
    loss_sum, correct, seen = distributed.sum_over_ranks([*sums.tolist(), seen])
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
