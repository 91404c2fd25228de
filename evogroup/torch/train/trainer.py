"""Training: the supernet with a random genome per step, and a searched network from scratch.

Both run one loop (:func:`_fit`) under the settings of a
:class:`~evogroup.torch.options.recipe.TrainConfig` on a :class:`~evogroup.torch.device.runtime.Runtime`:
Adam with a linear decay per step, the batches of :mod:`evogroup.torch.data.loaders`, one
epoch of :func:`~evogroup.torch.train.epoch.train_epoch` at a time. Each epoch writes a metrics
CSV and an atomic checkpoint (model, optimizer, scheduler, RNG states, metadata; see
:mod:`evogroup.torch.nn.weights`); ``resume=True`` continues from it and ends with the same
weights as an uninterrupted run.

Under ``torchrun`` (:mod:`evogroup.torch.device.distributed`) the model trains under DDP:
``config.batch_size`` is the global batch, split evenly over the ranks, so the learning
rate and the number of steps are those of one process; a :class:`DistributedSampler`
deals each global batch out (1 process: the same batches whole); with ``sync_bn``
BatchNorm normalizes over the global batch (CUDA only); rank 0 alone writes the
checkpoint and the CSV.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DistributedSampler
from tqdm.auto import tqdm

from evogroup.core import launch
from evogroup.rundir.layout import RunLayout
from evogroup.torch.data.loaders import decodes_on_device, loader
from evogroup.torch.data.splits import DataSplits
from evogroup.torch.device import distributed
from evogroup.torch.device.accel import Speed, prepare
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.accuracy import accuracy
from evogroup.torch.nn.choice_bn import per_choice_bn
from evogroup.torch.nn.protocol import WeightSharingNet
from evogroup.torch.nn.weights import (
    check_resumable,
    load_checkpoint,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from evogroup.torch.options.recipe import TrainConfig
from evogroup.torch.train.epoch import train_epoch, write_csv
from evogroup.torch.train.steps import Step, learn_static, supernet_step

__all__ = ["seeded", "train_network", "train_supernet"]


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the body with torch's global RNG seeded by ``seed`` (e.g. building a network, so
    its initial weights follow the run's seed); the caller's RNG state is restored after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def train_supernet(
    net: WeightSharingNet, data: DataSplits, config: TrainConfig, files: RunLayout, *,
    kind: str, meta: dict[str, Any], runtime: Runtime | None = None, resume: bool = False,
    progress: bool = True, draw: Callable[[random.Random], tuple] | None = None,
) -> Path:  # fmt: skip
    """Train a weight-sharing supernet with a uniformly random genome at every step.

    The genome of each step is drawn from the run's own ``random.Random(config.seed)``
    with ``draw`` (default :func:`evogroup.core.operators.sample`, uniform over the space;
    :func:`evogroup.core.operators.sample_feasible` under ``config.budget``), or with
    ``config.fair`` strictly fairly (:class:`~evogroup.torch.train.steps.FairDraw`, resumed at
    the step it had reached), and with ``config.sampling == "sandwich"`` trained beside
    the largest and the smallest genome (:func:`evogroup.torch.train.steps.supernet_step`).
    With ``config.bn_per_choice`` the net first gets a BatchNorm per group choice
    (:func:`~evogroup.torch.nn.choice_bn.per_choice_bn`); with ``config.weight_decay``
    the optimizer is AdamW. Writes ``files.supernet_csv``
    and the checkpoint ``files.supernet`` after every epoch; with ``resume=True`` an
    existing checkpoint is continued (its settings must match), without it training
    starts over. ``runtime`` (default: :meth:`Runtime.resolve`'s) says where and how it
    computes: bf16, channels_last and compilation follow
    :func:`evogroup.torch.device.accel.choose_speed`, JPEG decoding
    :func:`evogroup.torch.data.loaders.decodes_on_device`. Under ``torchrun`` every rank draws
    the same genome from the same seed.

    Returns:
        The path of the checkpoint.
    """
    if config.bn_per_choice:
        per_choice_bn(net)
    step = supernet_step(net, config, draw)
    meta = {**meta, "space": net.space.fingerprint()}
    _fit(net, data, step, (files.supernet, files.supernet_csv), kind, meta, config,
         runtime or Runtime.resolve(), resume=resume, progress=progress,
         evaluate_each_epoch=False)  # fmt: skip
    return files.supernet


def train_network(
    model: nn.Module, data: DataSplits, config: TrainConfig, files: RunLayout, *, kind: str,
    meta: dict[str, Any], runtime: Runtime | None = None, resume: bool = False,
    progress: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Train a static network from scratch and report its test accuracy (on ``runtime``
    as :func:`train_supernet` says).

    Writes ``files.model_csv`` (with test top-1/top-5 per epoch) and ``files.model``.

    Returns:
        ``{"top1", "top5", "epochs", "seconds", "params", "checkpoint", "metrics_csv"}``.
    """
    history = _fit(model, data, learn_static, (files.model, files.model_csv), kind, meta,
                   config, runtime or Runtime.resolve(), resume=resume, progress=progress,
                   evaluate_each_epoch=True)  # fmt: skip
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


@dataclass
class _Loop:
    """What one training holds from its first epoch to its last."""

    model: nn.Module  # the network, whose state is saved
    runner: nn.Module  # what is called: the model under DDP and/or torch.compile
    speed: Speed
    runtime: Runtime
    config: TrainConfig
    loader: Any
    test_loader: Any
    sampler: DistributedSampler
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    rng: random.Random  # genomes; owned by this run
    loader_gen: torch.Generator  # data order


def _fit(
    model: nn.Module, data: DataSplits, step: Step, paths: tuple[Path, Path], kind: str,
    meta: dict[str, Any], config: TrainConfig, runtime: Runtime, *, resume: bool,
    progress: bool, evaluate_each_epoch: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """The shared loop: build, restore when resuming, then per epoch train, evaluate (a
    final model, on test), checkpoint and rewrite the CSV (rank 0)."""
    ckpt_path, csv_path = paths
    distributed.join(runtime.device)
    loop = _build(model, data, config, runtime)
    progress = progress and launch.is_main()
    if progress and runtime.world > 1:
        share = runtime.per_process(config.batch_size)
        tqdm.write(f"DDP: {runtime.world} processes, global batch {config.batch_size}"
                   f" ({share} per process), lr {config.lr:g}")  # fmt: skip
    with torch.random.fork_rng(devices=runtime.cuda_indices):  # the caller's RNG is left alone
        torch.manual_seed(config.seed + runtime.rank)  # augmentation: its own stream per rank
        history, start = [], 1
        if resume and ckpt_path.is_file():
            history, start = _restore(loop, ckpt_path, kind, meta)
        if hasattr(step, "resume_at"):  # a step that counts its steps (fair sampling)
            step.resume_at((start - 1) * len(loop.loader))
        distributed.check_same(start, "the epoch to start from (same --out and --resume)")
        for epoch in range(start, config.epochs + 1):
            row = _epoch(loop, epoch, step, f"{kind.rsplit('.', 1)[-1]} {epoch}/{config.epochs}",
                         progress, evaluate_each_epoch)  # fmt: skip
            history.append({"epoch": epoch, **row})
            state = _state(loop, epoch, kind, meta, history)
            if launch.is_main():
                save_checkpoint(ckpt_path, state)
                write_csv(csv_path, history)
    return history


def _build(model: nn.Module, data: DataSplits, config: TrainConfig, runtime: Runtime) -> _Loop:
    """The model on the device (DDP, compiled), the loaders, Adam and its linear decay."""
    batch = runtime.per_process(config.batch_size)
    speed = runtime.speed(model)
    wrapped = distributed.wrap(model, runtime.device, speed.channels_last, runtime.sync_bn)
    runner = prepare(wrapped, speed)  # DDP and/or torch.compile, or the model itself
    loader_gen = torch.Generator().manual_seed(config.seed)
    sampler = DistributedSampler(data.train, runtime.world, runtime.rank, shuffle=True,
                                 seed=config.seed)  # fmt: skip
    on_device = decodes_on_device(runtime, data)
    # crops and flips decoded on the device draw from the per-rank seeded global generator
    train = loader(data.train, batch, runtime, on_device, augment=torch.default_generator,
                   sampler=sampler, generator=loader_gen, num_workers=data.num_workers)  # fmt: skip
    test = loader(data.test, config.eval_batch_size, runtime, on_device,
                  num_workers=data.num_workers)  # fmt: skip
    total = config.epochs * len(train)
    # fused: one kernel for all ~29M supernet weights; plain Adam made the supernet step
    # 1.45x the static one on CPU, fused 1.03x (benchmarks/supernet.py).
    adam = torch.optim.AdamW if config.weight_decay else torch.optim.Adam
    optimizer = adam(model.parameters(), lr=config.lr, betas=(0.9, 0.999),
                     weight_decay=config.weight_decay, fused=True)  # fmt: skip
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / total))
    return _Loop(model, runner, speed, runtime, config, train, test, sampler, optimizer,
                 scheduler, random.Random(config.seed), loader_gen)  # fmt: skip


def _restore(loop: _Loop, path: Path, kind: str, meta: dict[str, Any]) -> tuple[list, int]:
    """Continue from the checkpoint at ``path`` (its settings checked against this run's):
    the history so far and the epoch to start from."""
    ckpt = load_checkpoint(path, kind)
    check_resumable(path, ckpt, meta, loop.config.to_json())
    loop.model.load_state_dict(ckpt["model"])
    loop.optimizer.load_state_dict(ckpt["optimizer"])
    loop.scheduler.load_state_dict(ckpt["scheduler"])
    set_rng_states(ckpt["rng"], loop.rng, loop.loader_gen, loop.runtime.device)
    if len(ckpt["rng"].get("ranks", ())) == loop.runtime.world:
        torch.set_rng_state(ckpt["rng"]["ranks"][loop.runtime.rank])
    return list(ckpt["history"]), ckpt["epoch"] + 1


def _epoch(loop: _Loop, epoch: int, step: Step, desc: str, progress: bool,
           evaluate: bool) -> dict[str, Any]:  # fmt: skip
    """Train one epoch and, when ``evaluate``, score the test split (on every rank, so all
    return the same history)."""
    loop.sampler.set_epoch(epoch)
    row = train_epoch(loop.runner, loop.loader, step, loop.optimizer, loop.scheduler, loop.rng,
                      loop.speed, desc=desc, progress=progress)  # fmt: skip
    distributed.broadcast_buffers(loop.model)  # one model on every rank
    if evaluate:
        t0 = time.perf_counter()
        scorer = loop.model if distributed.active() else loop.runner  # no collectives in eval
        row["test_top1"], row["test_top5"] = accuracy(scorer, loop.test_loader, loop.speed)
        row["seconds"] += time.perf_counter() - t0
    return row


def _state(loop: _Loop, epoch: int, kind: str, meta: dict[str, Any], history: list) -> dict:
    """The checkpoint after ``epoch`` (the per-rank RNG states gathered under torchrun)."""
    state = {
        "kind": kind, "version": 2, "epoch": epoch, "complete": epoch == loop.config.epochs,
        "meta": meta, "recipe": loop.config.to_json(), "history": history,
        "model": loop.model.state_dict(), "optimizer": loop.optimizer.state_dict(),
        "scheduler": loop.scheduler.state_dict(),
        "rng": rng_states(loop.rng, loop.loader_gen, loop.runtime.device),
    }  # fmt: skip
    if loop.runtime.world > 1:
        state["rng"]["ranks"] = distributed.gather(torch.get_rng_state())
        state["distributed"] = {"processes": loop.runtime.world,
                                "global_batch": loop.config.batch_size}  # fmt: skip
    return state
