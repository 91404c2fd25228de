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
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from evogroup.core import launch
from evogroup.rundir.layout import RunLayout
from evogroup.torch.data.splits import DataSplits
from evogroup.torch.device import distributed
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.accuracy import accuracy
from evogroup.torch.nn.choice_bn import per_choice_bn
from evogroup.torch.nn.protocol import WeightSharingNet
from evogroup.torch.nn.weights import (
    save_checkpoint,
)
from evogroup.torch.options.recipe import TrainConfig
from evogroup.torch.train.epoch import train_epoch, write_csv
from evogroup.torch.train.loop import TrainingLoop, build_loop, checkpoint_state, restore
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
    net: WeightSharingNet,
    data: DataSplits,
    config: TrainConfig,
    files: RunLayout,
    *,
    kind: str,
    meta: dict[str, Any],
    runtime: Runtime | None = None,
    resume: bool = False,
    progress: bool = True,
    draw: Callable[[random.Random], tuple] | None = None,
) -> Path:
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
    _fit(
        net,
        data,
        step,
        (files.supernet, files.supernet_csv),
        kind,
        meta,
        config,
        runtime or Runtime.resolve(),
        resume=resume,
        progress=progress,
        evaluate_each_epoch=False,
    )
    return files.supernet


def train_network(
    model: nn.Module,
    data: DataSplits,
    config: TrainConfig,
    files: RunLayout,
    *,
    kind: str,
    meta: dict[str, Any],
    runtime: Runtime | None = None,
    resume: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a static network from scratch and report its test accuracy (on ``runtime``
    as :func:`train_supernet` says).

    Writes ``files.model_csv`` (with test top-1/top-5 per epoch) and ``files.model``.

    Returns:
        ``{"top1", "top5", "epochs", "seconds", "params", "checkpoint", "metrics_csv"}``.
    """
    history = _fit(
        model,
        data,
        learn_static,
        (files.model, files.model_csv),
        kind,
        meta,
        config,
        runtime or Runtime.resolve(),
        resume=resume,
        progress=progress,
        evaluate_each_epoch=True,
    )
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
    runtime: Runtime,
    *,
    resume: bool,
    progress: bool,
    evaluate_each_epoch: bool,
) -> list[dict[str, Any]]:
    """The shared loop: build, restore when resuming, then per epoch train, evaluate (a
    final model, on test), checkpoint and rewrite the CSV (rank 0)."""
    ckpt_path, csv_path = paths
    distributed.join(runtime.device)
    loop = build_loop(model, data, config, runtime)
    progress = progress and launch.is_main()
    if progress and runtime.world > 1:
        share = runtime.per_process(config.batch_size)
        tqdm.write(
            f"DDP: {runtime.world} processes, global batch {config.batch_size}"
            f" ({share} per process), lr {config.lr:g}"
        )
    with torch.random.fork_rng(devices=runtime.cuda_indices):  # the caller's RNG is left alone
        torch.manual_seed(config.seed + runtime.rank)  # augmentation: its own stream per rank
        history, start = [], 1
        if resume and ckpt_path.is_file():
            history, start = restore(loop, ckpt_path, kind, meta)
        if hasattr(step, "resume_at"):  # a step that counts its steps (fair sampling)
            step.resume_at((start - 1) * len(loop.loader))
        distributed.check_same(start, "the epoch to start from (same --out and --resume)")
        for epoch in range(start, config.epochs + 1):
            row = _epoch(
                loop,
                epoch,
                step,
                f"{kind.rsplit('.', 1)[-1]} {epoch}/{config.epochs}",
                progress,
                evaluate_each_epoch,
            )
            history.append({"epoch": epoch, **row})
            state = checkpoint_state(loop, epoch, kind, meta, history)
            if launch.is_main():
                save_checkpoint(ckpt_path, state)
                write_csv(csv_path, history)
    return history


def _epoch(
    loop: TrainingLoop, epoch: int, step: Step, desc: str, progress: bool, evaluate: bool
) -> dict[str, Any]:
    """Train one epoch and, when ``evaluate``, score the test split (on every rank, so all
    return the same history)."""
    loop.sampler.set_epoch(epoch)
    row = train_epoch(
        loop.runner,
        loop.loader,
        step,
        loop.optimizer,
        loop.scheduler,
        loop.rng,
        loop.speed,
        desc=desc,
        progress=progress,
    )
    distributed.broadcast_buffers(loop.model)  # one model on every rank
    if evaluate:
        t0 = time.perf_counter()
        scorer = loop.model if distributed.active() else loop.runner  # no collectives in eval
        row["test_top1"], row["test_top5"] = accuracy(scorer, loop.test_loader, loop.speed)
        row["seconds"] += time.perf_counter() - t0
    return row
