"""Fitness of a genome: the supernet's top-1 on search-val after BatchNorm recalibration.

Running statistics collected while training under random genomes fit no genome in
particular, and ranking candidates with them is poor. As in SPOS and OFA, every
evaluation first resets each BatchNorm's running statistics, forwards a fixed sample of
(non-augmented) training images under the genome in train mode with a cumulative
average (``momentum=None``), then measures top-1 accuracy in eval mode.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from evogroup.space import Genome
from evogroup.torch.data import DataSplits

# Held as tensors when below this many bytes; larger data is streamed through a DataLoader.
IN_MEMORY_BYTES = 2 << 30


def recalibrate_bn(net: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Reset every BatchNorm's running statistics and re-estimate them on ``batches``.

    The statistics become the cumulative average over the batches (``momentum=None``),
    computed under the net's current genome with gradients off. The net is left in eval
    mode.
    """
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    device = next(net.parameters()).device
    net.train()
    try:
        with torch.no_grad():
            for x in batches:
                x = x.to(device, non_blocking=True)
                net(x)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        net.eval()


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
        self._state: dict[str, Any] | None = None

    def variant(self, **changes: Any) -> SupernetFitness:
        """A copy with some settings changed (e.g. ``recalibrate=False``), loading its own net."""
        out = copy.copy(self)
        out.__dict__.update(changes, _state=None)
        return out

    def describe(self) -> dict[str, Any]:
        """The options, for the search's results."""
        keys = ("checkpoint", "source", "split_seed", "recal_images", "val_images",
                "batch_size", "seed", "recalibrate")  # fmt: skip
        return {"fitness": "supernet top-1 (%) on search-val after BN recalibration"} | {
            k: getattr(self, k) for k in keys
        }

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": None, "_data": None}  # workers load their own copy

    def __call__(self, genome: Genome) -> float:
        state = self._state or self._load()
        net = state["net"]
        genome = net.set_genome(genome)
        if self.recalibrate:
            recalibrate_bn(net, (x for x, _ in state["recal"]()))
        net.eval()
        correct = total = 0
        with torch.inference_mode():
            for x, y in state["val"]():
                x, y = x.to(state["device"], non_blocking=True), y.to(state["device"])
                correct += net(x).argmax(1).eq(y).sum().item()
                total += len(y)
        return 100.0 * correct / total

    def _load(self) -> dict[str, Any]:
        from evogroup.torch.checkpoints import load_supernet
        from evogroup.torch.data import load_data
        from evogroup.torch.trainer import resolve_device

        device = resolve_device(self.device)
        net, _ = load_supernet(self.checkpoint, self.backend, self.build, map_location=device)
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
            "device": device,
            "recal": _batches(recal, self.batch_size, device, data.num_workers),
            "val": _batches(val, self.batch_size, device, data.num_workers),
        }
        return self._state


def _sample(dataset: Dataset, n: int, gen: torch.Generator) -> Dataset:
    if n >= len(dataset):
        return dataset
    return Subset(dataset, torch.randperm(len(dataset), generator=gen)[:n].tolist())


def _batches(dataset: Dataset, batch_size: int, device: torch.device, num_workers: int):
    """A function returning an iterable of ``(x, y)`` batches: tensors held on ``device``
    when they fit in memory, else a DataLoader re-read each time."""
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    x0, _ = dataset[0]
    if x0.numel() * x0.element_size() * len(dataset) > IN_MEMORY_BYTES:
        return lambda: loader
    held = [(x.to(device), y.to(device)) for x, y in loader]
    return lambda: held
