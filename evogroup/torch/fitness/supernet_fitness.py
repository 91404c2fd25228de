"""Fitness of a genome: the supernet's top-1 on search-val after BatchNorm recalibration
(or, with ``metric="loss"``, its negative mean cross-entropy there).

Running statistics collected while training under random genomes fit no genome in
particular, and ranking candidates with them is poor. As in SPOS and OFA, every
evaluation first resets each BatchNorm's running statistics, forwards a fixed sample of
(non-augmented) training images under the genome in train mode and keeps the cumulative
average of their batch statistics, then measures top-1 accuracy in eval mode. Both run on
the device with what :mod:`evogroup.torch.device.accel` chooses (on CUDA with the masked kernel:
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

from evogroup.core.errors import InvalidValueError
from evogroup.core.space import Genome
from evogroup.torch.data.splits import DataSplits
from evogroup.torch.device.accel import Speed
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.accuracy import accuracy, summed_over
from evogroup.torch.options.choices import METRICS, check_choice
from evogroup.torch.options.recipe import EVAL_BATCH


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


def negative_loss(net: nn.Module, batches: Iterable, speed: Speed) -> float:
    r"""The negative mean cross-entropy of ``net`` on ``(x, y)`` batches,
    :math:`-\frac1N \sum_i -\log \mathrm{softmax}(z_i)_{y_i}` (higher is better, as a
    fitness must be), in inference mode under ``speed``'s autocast (the loss in float32);
    summed on the device and read back once (:func:`~evogroup.torch.fitness.accuracy.summed_over`).
    Unlike top-1 it moves with every image's confidence, so it separates genomes whose
    accuracies tie on a small search-val."""

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits.float(), y, reduction="sum")[None]

    (summed,), total = summed_over(net, batches, speed, loss, "negative_loss()")
    return -summed / total


def top1(net: nn.Module, batches: Iterable, speed: Speed) -> float:
    """Top-1 accuracy (percent) of ``net`` on ``(x, y)`` batches (:func:`accuracy`'s)."""
    return accuracy(net, batches, speed).top1


#: The score of each of :data:`~evogroup.torch.options.choices.METRICS`.
SCORES: dict[str, Callable[[nn.Module, Iterable, Speed], float]] = {
    "accuracy": top1,
    "loss": negative_loss,
}


class SupernetFitness:
    """``genome -> top-1 (percent)`` of a trained supernet on search-val, after BN
    recalibration (or with ``metric="loss"`` its :func:`negative_loss` there).

    Picklable and lazy: the supernet loads on the first call, in whichever process makes
    it, so one instance can be shipped to worker processes; data given in memory is used
    in this process and reloaded from ``source`` and ``split_seed`` in a worker.

    Args:
        checkpoint: a supernet checkpoint of ``backend`` (see
            :func:`~evogroup.torch.train.trainer.train_supernet`), already checked against the
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
        batch_size: images per forward pass (a recipe's ``eval_batch_size``).
        seed: picks the recalibration sample (and the search-val subset).
        runtime: the device, kernel, compilation and where JPEGs are decoded
            (:class:`~evogroup.torch.device.runtime.Runtime`; ``None``: resolved from the defaults,
            in the process that loads). Recalibration and search-val images are decoded
            on the device where training's would be
            (:func:`~evogroup.torch.data.loaders.decodes_on_device`).
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
        batch_size: int = EVAL_BATCH,
        seed: int = 0,
        runtime: Runtime | None = None,
        recalibrate: bool = True,
        metric: str = "accuracy",
    ):
        if recal_images < 1 or batch_size < 1 or (val_images is not None and val_images < 1):
            raise InvalidValueError(
                f"recal_images >= 1, batch_size >= 1 and val_images >= 1 must hold, but got"
                f" (recal_images={recal_images}, batch_size={batch_size}, val_images={val_images})"
            )
        self.checkpoint, self.backend, self.build = str(checkpoint), backend, build
        self.source, self.split_seed, self._data = source, split_seed, data
        self.recal_images, self.val_images = recal_images, val_images
        self.batch_size, self.seed, self.runtime = batch_size, seed, runtime
        self.recalibrate, self.metric = recalibrate, check_choice("metric", metric, METRICS)
        self._state: dict[str, Any] | None = None

    def variant(self, **changes: Any) -> SupernetFitness:
        """A copy with some settings changed (e.g. ``recalibrate=False``), loading its own net."""
        out = copy.copy(self)
        out.__dict__.update(changes, _state=None)
        return out

    def describe(self) -> dict[str, Any]:
        """The options, for the search's results."""
        keys = (
            "checkpoint",
            "source",
            "split_seed",
            "recal_images",
            "val_images",
            "batch_size",
            "seed",
            "recalibrate",
            "metric",
        )
        kernel = None if self.runtime is None else self.runtime.kernel
        what = "top-1 (%)" if self.metric == "accuracy" else "negative cross-entropy"
        return (
            {"fitness": f"supernet {what} on search-val after BN recalibration"}
            | {k: getattr(self, k) for k in keys}
            | {"kernel": kernel}
        )

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": None, "_data": None}  # workers load their own copy

    def __call__(self, genome: Genome) -> float:
        state = self._state or self._load()
        net, runner, speed = state["net"], state["runner"], state["speed"]
        genome = net.set_genome(genome)
        if self.recalibrate:
            recalibrate_bn(runner, (x for x, _ in state["recal"]()), speed)
        net.eval()
        return SCORES[self.metric](runner, state["val"](), speed)

    def _load(self) -> dict[str, Any]:
        from evogroup.torch.data.loaders import decodes_on_device, evaluation_batches
        from evogroup.torch.data.sources import load_data
        from evogroup.torch.device.accel import prepare
        from evogroup.torch.nn.weights import load_supernet

        runtime = self.runtime or Runtime.resolve()
        build = functools.partial(self.build, kernel=runtime.kernel)
        net, _ = load_supernet(self.checkpoint, self.backend, build, map_location=runtime.device)
        speed = runtime.speed(net)
        data = self._data or load_data(self.source, seed=self.split_seed)
        gen = torch.Generator().manual_seed(self.seed)
        recal = _sample(data.train_plain, self.recal_images, gen)
        val = (
            data.search_val
            if self.val_images is None
            else _sample(data.search_val, self.val_images, gen)
        )
        on_device = decodes_on_device(runtime, data)
        batches = functools.partial(
            evaluation_batches,
            batch_size=self.batch_size,
            speed=speed,
            runtime=runtime,
            on_device=on_device,
            num_workers=data.num_workers,
        )
        self._state = {
            "net": net,
            "runner": prepare(net, speed),
            "speed": speed,
            "recal": batches(recal),
            "val": batches(val),
        }
        return self._state


def _sample(dataset: Dataset, n: int, gen: torch.Generator) -> Dataset:
    if n >= len(dataset):
        return dataset
    return Subset(dataset, torch.randperm(len(dataset), generator=gen)[:n].tolist())
