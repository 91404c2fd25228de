"""What one training holds from its first epoch to its last: built once (the model on the
device, under DDP and/or compiled, its loaders, Adam and the linear decay), saved after every
epoch as a checkpoint and restored from one on resume."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DistributedSampler

from evogroup.torch.data.loaders import decodes_on_device, loader
from evogroup.torch.data.splits import DataSplits
from evogroup.torch.device import distributed
from evogroup.torch.device.accel import Speed, prepare
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.nn.weights import check_resumable, load_checkpoint, rng_states, set_rng_states
from evogroup.torch.options.recipe import TrainConfig

__all__ = ["TrainingLoop", "build_loop", "checkpoint_state", "restore"]


@dataclass
class TrainingLoop:
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


def build_loop(
    model: nn.Module, data: DataSplits, config: TrainConfig, runtime: Runtime
) -> TrainingLoop:
    """The model on the device (DDP, compiled), the loaders, Adam and its linear decay."""
    batch = runtime.per_process(config.batch_size)
    speed = runtime.speed(model)
    wrapped = distributed.wrap(model, runtime.device, speed.channels_last, runtime.sync_bn)
    runner = prepare(wrapped, speed)  # DDP and/or torch.compile, or the model itself
    loader_gen = torch.Generator().manual_seed(config.seed)
    sampler = DistributedSampler(
        data.train, runtime.world, runtime.rank, shuffle=True, seed=config.seed
    )
    on_device = decodes_on_device(runtime, data)
    # crops and flips decoded on the device draw from the per-rank seeded global generator
    train = loader(
        data.train,
        batch,
        runtime,
        on_device,
        augment=torch.default_generator,
        sampler=sampler,
        generator=loader_gen,
        num_workers=data.num_workers,
    )
    test = loader(
        data.test, config.eval_batch_size, runtime, on_device, num_workers=data.num_workers
    )
    optimizer, scheduler = _optimizer(model, config, steps=config.epochs * len(train))
    return TrainingLoop(
        model,
        runner,
        speed,
        runtime,
        config,
        train,
        test,
        sampler,
        optimizer,
        scheduler,
        rng=random.Random(config.seed),
        loader_gen=loader_gen,
    )


def _optimizer(
    model: nn.Module, config: TrainConfig, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """Adam (AdamW with weight decay) and its linear decay to zero over ``steps`` steps."""
    # fused: one kernel for all ~29M supernet weights; plain Adam made the supernet step
    # 1.45x the static one on CPU, fused 1.03x (benchmarks/supernet.py).
    adam = torch.optim.AdamW if config.weight_decay else torch.optim.Adam
    optimizer = adam(
        model.parameters(),
        lr=config.lr,
        betas=(0.9, 0.999),
        weight_decay=config.weight_decay,
        fused=True,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / steps))
    return optimizer, scheduler


def restore(loop: TrainingLoop, path: Path, kind: str, meta: dict[str, Any]) -> tuple[list, int]:
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


def checkpoint_state(
    loop: TrainingLoop, epoch: int, kind: str, meta: dict[str, Any], history: list
) -> dict:
    """The checkpoint after ``epoch`` (the per-rank RNG states gathered under torchrun)."""
    state = {
        "kind": kind,
        "version": 2,
        "epoch": epoch,
        "complete": epoch == loop.config.epochs,
        "meta": meta,
        "recipe": loop.config.to_json(),
        "history": history,
        "model": loop.model.state_dict(),
        "optimizer": loop.optimizer.state_dict(),
        "scheduler": loop.scheduler.state_dict(),
        "rng": rng_states(loop.rng, loop.loader_gen, loop.runtime.device),
    }
    if loop.runtime.world > 1:
        state["rng"]["ranks"] = distributed.gather(torch.get_rng_state())
        state["distributed"] = {
            "processes": loop.runtime.world,
            "global_batch": loop.config.batch_size,
        }
    return state
