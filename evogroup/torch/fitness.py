"""Fitness of a genome: the supernet's top-1 on search-val after BatchNorm recalibration
(or, with ``metric="loss"``, its negative mean cross-entropy there).

Running statistics collected while training under random genomes fit no genome in
particular, and ranking candidates with them is poor. As in SPOS and OFA, every
evaluation first resets each BatchNorm's running statistics, forwards a fixed sample of
(non-augmented) training images under the genome in train mode and keeps the cumulative
average of their batch statistics, then measures top-1 accuracy in eval mode. Both run on
the device with what :mod:`evogroup.torch.accel` chooses (on CUDA with the masked kernel:
bf16, channels_last, one ``torch.compile`` for every genome); hits are counted on the
device and read back once per genome.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from evogroup.core.space import Genome
from evogroup.torch.accel import Speed
from evogroup.torch.data import DataSplits

# Held as tensors when below this many bytes; larger data is streamed through a DataLoader.
IN_MEMORY_BYTES = 2 << 30
# The same on a CUDA device, counted in the dtype held there (bf16 under autocast).
DEVICE_BYTES = 8 << 30


def recalibrate_bn(
    net: nn.Module, batches: Iterable[torch.Tensor], speed: Speed | None = None
) -> None:
    r"""Reset every BatchNorm's running statistics and re-estimate them on ``batches``.

    The statistics become the cumulative average over the :math:`n` batches,
    :math:`\hat\mu = \frac1n \sum_b \mu_b` and :math:`\hat\sigma^2 = \frac1n \sum_b
    \sigma^2_b` (unbiased batch variances; what ``momentum=None`` computes), under the
    net's current genome with gradients off. Each batch's statistics are taken with
    ``momentum=1`` and summed on the device (no host synchronisation, and one compiled
    graph for every genome). ``speed`` sets autocast and the input memory format. The net
    is left in eval mode.
    """
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = 1.0  # running stats := this batch's statistics
    stats = [bn.running_mean for bn in bns] + [bn.running_var for bn in bns]
    sums = [torch.zeros_like(t) for t in stats]
    speed = speed or Speed(next(net.parameters()).device)
    n = 0
    net.train()
    try:
        with torch.no_grad():
            for x in batches:
                with speed.autocast():
                    net(speed.inputs(x))
                torch._foreach_add_(sums, stats)
                n += 1
            if n:
                torch._foreach_copy_(stats, torch._foreach_div(sums, n))
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        net.eval()


def top1(net: nn.Module, batches: Iterable, speed: Speed) -> float:
    """Top-1 accuracy (percent) of ``net`` on ``(x, y)`` batches in inference mode, under
    ``speed``'s autocast; hits are summed on the device and read back once."""
    correct, total = _summed(net, batches, speed, lambda z, y: z.argmax(1).eq(y).sum())
    return 100.0 * correct / total


def negative_loss(net: nn.Module, batches: Iterable, speed: Speed) -> float:
    r"""The negative mean cross-entropy of ``net`` on ``(x, y)`` batches,
    :math:`-\frac1N \sum_i -\log \mathrm{softmax}(z_i)_{y_i}` (higher is better, as a
    fitness must be), in inference mode under ``speed``'s autocast (the loss in float32);
    summed on the device and read back once. Unlike top-1 it moves with every image's
    confidence, so it separates genomes whose accuracies tie on a small search-val."""
    summed, total = _summed(net, batches, speed, lambda z, y: nn.functional.cross_entropy(
        z.float(), y, reduction="sum"))  # fmt: skip
    return -summed / total


def _summed(net: nn.Module, batches: Iterable, speed: Speed, per_batch) -> tuple[float, int]:
    """``(sum of per_batch(logits, labels) over the batches, images)``, summed on the device."""
    total = 0
    with torch.inference_mode():
        summed = torch.zeros((), dtype=torch.float64, device=speed.device)
        for x, y in batches:
            with speed.autocast():
                logits = net(speed.inputs(x))
            summed += per_batch(logits, y.to(speed.device, non_blocking=True))
            total += len(y)
        return summed.item(), total


METRICS = {"accuracy": top1, "loss": negative_loss}


class SupernetFitness:
    """``genome -> top-1 (percent)`` of a trained supernet on search-val, after BN recalibration.

    Picklable and lazy: the supernet loads on the first call, in whichever process makes
    it, so one instance can be shipped to worker processes; data given in memory is used
    in this process and reloaded from ``source`` and ``split_seed`` in a worker.

    Args:
        checkpoint: a supernet checkpoint of ``backend`` (see
            :func:`~evogroup.torch.trainer.train_supernet`), already checked against the
            search's data and architecture by the backend.
        backend: the backend's name (the checkpoint's kind).
        build: rebuilds the supernet from the checkpoint's ``arch`` (picklable: a class or
            a module-level function).
        source, split_seed: the data (``--data`` value) and its split seed.
        data: the same data, already loaded in this process (optional).
        recal_images: training images used to recalibrate BatchNorm (a fixed sample).
        recalibrate: recalibrate BatchNorm per genome (off: the statistics left by
            training, to measure what recalibration buys).
        val_images: search-val images to score on (``None``: all of them).
        batch_size: images per forward pass.
        seed: picks the recalibration sample (and the search-val subset).
        device: ``None`` picks CUDA when available.
        kernel: the supernet's weight-sharing kernel: ``"grouped"``, ``"masked"`` or
            ``"auto"`` (masked on CUDA, grouped on the CPU; see :mod:`evogroup.torch.masked`).
        compile: ``torch.compile`` the supernet (``None``: on for the masked kernel on CUDA).
        metric: ``"accuracy"`` (top-1 %, the paper) or ``"loss"`` (:func:`negative_loss`).

    Example:
        >>> fit = SupernetFitness("runs/demo/supernet.pt", "binmobilenet", SuperNet,
        ...                       "digits", 0, recal_images=512)  # doctest: +SKIP
        >>> fit((4,) * 18)  # doctest: +SKIP
        71.3
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike,
        backend: str,
        build: Callable[..., nn.Module],
        source: str,
        split_seed: int,
        *,
        data: DataSplits | None = None,
        recal_images: int = 512,
        val_images: int | None = None,
        batch_size: int = 512,
        seed: int = 0,
        device: str | None = None,
        recalibrate: bool = True,
        kernel: str = "auto",
        compile: bool | None = None,
        metric: str = "accuracy",
    ):
        if recal_images < 1 or batch_size < 1 or (val_images is not None and val_images < 1):
            raise ValueError(
                f"recal_images >= 1, batch_size >= 1 and val_images >= 1 must hold, but got"
                f" (recal_images={recal_images}, batch_size={batch_size}, val_images={val_images})"
            )
        self.checkpoint, self.backend, self.build = str(checkpoint), backend, build
        self.source, self.split_seed, self._data = source, split_seed, data
        self.recal_images, self.val_images = recal_images, val_images
        self.batch_size, self.seed, self.device = batch_size, seed, device
        self.recalibrate = recalibrate
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, but got {metric!r}")
        self.kernel, self.compile, self.metric = kernel, compile, metric
        self._state: dict[str, Any] | None = None

    def variant(self, **changes: Any) -> SupernetFitness:
        """A copy with some settings changed (e.g. ``recalibrate=False``), loading its own net."""
        out = copy.copy(self)
        out.__dict__.update(changes, _state=None)
        return out

    def describe(self) -> dict[str, Any]:
        """The options, for the search's results."""
        keys = ("checkpoint", "source", "split_seed", "recal_images", "val_images",
                "batch_size", "seed", "recalibrate", "kernel", "metric")  # fmt: skip
        what = "top-1 (%)" if self.metric == "accuracy" else "negative cross-entropy"
        return {"fitness": f"supernet {what} on search-val after BN recalibration"} | {
            k: getattr(self, k) for k in keys
        }

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": None, "_data": None}  # workers load their own copy

    def __call__(self, genome: Genome) -> float:
        state = self._state or self._load()
        net, runner, speed = state["net"], state["runner"], state["speed"]
        genome = net.set_genome(genome)
        if self.recalibrate:
            recalibrate_bn(runner, (x for x, _ in state["recal"]()), speed)
        net.eval()
        return METRICS[self.metric](runner, state["val"](), speed)

    def _load(self) -> dict[str, Any]:
        from evogroup.torch.accel import choose_speed, prepare
        from evogroup.torch.checkpoints import load_supernet
        from evogroup.torch.data import load_data
        from evogroup.torch.masked import resolve_kernel
        from evogroup.torch.trainer import resolve_device

        device = resolve_device(self.device)
        build = functools.partial(self.build, kernel=resolve_kernel(self.kernel, device))
        net, _ = load_supernet(self.checkpoint, self.backend, build, map_location=device)
        speed = choose_speed(net, device, self.compile)
        runner = prepare(net, speed)
        data = self._data or load_data(self.source, seed=self.split_seed)
        gen = torch.Generator().manual_seed(self.seed)
        recal = _sample(data.train_plain, self.recal_images, gen)
        val = (
            data.search_val
            if self.val_images is None
            else _sample(data.search_val, self.val_images, gen)
        )
        self._state = {
            "net": net,
            "runner": runner,
            "speed": speed,
            "device": device,
            "recal": _batches(recal, self.batch_size, speed, data.num_workers),
            "val": _batches(val, self.batch_size, speed, data.num_workers),
        }
        return self._state


def _sample(dataset: Dataset, n: int, gen: torch.Generator) -> Dataset:
    if n >= len(dataset):
        return dataset
    return Subset(dataset, torch.randperm(len(dataset), generator=gen)[:n].tolist())


def _batches(dataset: Dataset, batch_size: int, speed: Speed, num_workers: int):
    """A function returning an iterable of ``(x, y)`` batches: tensors held on the device
    when they fit (on CUDA under autocast: in its dtype and memory format, up to
    :data:`DEVICE_BYTES`; elsewhere up to :data:`IN_MEMORY_BYTES`), else a DataLoader
    re-read each time."""
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers,
                        pin_memory=speed.device.type == "cuda")  # fmt: skip
    x0, _ = dataset[0]
    cast = speed.device.type == "cuda" and speed.amp is not None
    size = x0.numel() * (speed.amp.itemsize if cast else x0.element_size()) * len(dataset)
    if size > (DEVICE_BYTES if speed.device.type == "cuda" else IN_MEMORY_BYTES):
        return lambda: loader

    def hold(x: torch.Tensor) -> torch.Tensor:
        x = speed.inputs(x)
        return x.to(speed.amp) if cast else x

    held = [(hold(x), y.to(speed.device)) for x, y in loader]
    return lambda: held
