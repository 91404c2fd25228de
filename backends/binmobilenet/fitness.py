"""Fitness of a genome: the supernet's top-1 on search-val after BatchNorm recalibration.

Running statistics collected while training under random genomes fit no genome in
particular, and ranking candidates with them is poor. As in SPOS and OFA, every
evaluation first resets each BatchNorm's running statistics, forwards a fixed sample of
(non-augmented) training images under the genome in train mode with a cumulative
average (``momentum=None``), then measures top-1 accuracy in eval mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from evogroup.errors import CheckpointError
from evogroup.space import Genome

# Held as tensors when below this many bytes; larger data is streamed through a DataLoader.
IN_MEMORY_BYTES = 2 << 30


def recalibrate_bn(
    net: nn.Module, batches: Iterable[torch.Tensor], genome: Genome | None = None
) -> None:
    """Reset every BatchNorm's running statistics and re-estimate them on ``batches``.

    The statistics become the cumulative average over the batches (``momentum=None``),
    computed under ``genome`` (or the net's current one) with gradients off. The net is
    left in eval mode.
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
                net(x) if genome is None else net(x, genome)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        net.eval()


class SupernetFitness:
    """``genome -> top-1 (percent)`` of a trained supernet on search-val, after BN recalibration.

    Picklable and lazy: the supernet and the data load on the first call, in whichever
    process makes it, so one instance can be shipped to worker processes.

    Args:
        checkpoint: a supernet checkpoint written by :func:`~binmobilenet.training.train_supernet`.
        data: the ``--data`` value; ``None`` uses the data the supernet was trained on.
        split_seed: the split seed; ``None`` uses the supernet's (another one is refused:
            its search-val would overlap the supernet's training images).
        recal_images: training images used to recalibrate BatchNorm (a fixed sample).
        val_images: search-val images to score on (``None``: all of them).
        batch_size: images per forward pass.
        seed: picks the recalibration sample (and the search-val subset).
        device: ``None`` picks CUDA when available.
        num_threads: torch threads in the process that evaluates (``None``: every core).

    Example:
        >>> fit = SupernetFitness("runs/demo/supernet.pt", recal_images=512)  # doctest: +SKIP
        >>> fit((4,) * 18)  # doctest: +SKIP
        71.3
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike,
        data: str | None = None,
        *,
        split_seed: int | None = None,
        recal_images: int = 512,
        val_images: int | None = None,
        batch_size: int = 512,
        seed: int = 0,
        device: str | None = None,
        num_threads: int | None = None,
    ):
        if recal_images < 1 or batch_size < 1 or (val_images is not None and val_images < 1):
            raise ValueError(
                f"recal_images >= 1, batch_size >= 1 and val_images >= 1 must hold, but got"
                f" (recal_images={recal_images}, batch_size={batch_size}, val_images={val_images})"
            )
        self.checkpoint = str(checkpoint)
        self.data, self.split_seed = data, split_seed
        self.recal_images, self.val_images = recal_images, val_images
        self.batch_size, self.seed = batch_size, seed
        self.device, self.num_threads = device, num_threads
        self._state: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        """The options, for the search's results."""
        keys = (
            "checkpoint",
            "data",
            "split_seed",
            "recal_images",
            "val_images",
            "batch_size",
            "seed",
        )
        return {"fitness": "supernet top-1 (%) on search-val after BN recalibration"} | {
            k: getattr(self, k) for k in keys
        }

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": None}  # workers load their own copy

    def __call__(self, genome: Genome) -> float:
        state = self._state or self._load()
        net = state["net"]
        genome = net.set_genome(genome)
        recalibrate_bn(net, (x for x, _ in state["recal"]()), genome)
        correct = total = 0
        with torch.inference_mode():
            for x, y in state["val"]():
                x, y = x.to(state["device"], non_blocking=True), y.to(state["device"])
                correct += net(x).argmax(1).eq(y).sum().item()
                total += len(y)
        return 100.0 * correct / total

    def _load(self) -> dict[str, Any]:
        from binmobilenet.checkpoints import load_supernet
        from binmobilenet.data import load_data
        from binmobilenet.training import resolve_device

        torch.set_num_threads(self.num_threads or os.cpu_count() or 1)
        device = resolve_device(self.device)
        net, meta = load_supernet(self.checkpoint, map_location=device)
        trained = meta["data"]
        split_seed = trained["split_seed"] if self.split_seed is None else self.split_seed
        data = load_data(trained["source"] if self.data is None else self.data, seed=split_seed)
        have = data.describe()
        for key in ("name", "split_seed", "num_classes", "sizes"):
            if have[key] != trained[key]:
                raise CheckpointError(
                    f"{self.checkpoint}: the supernet was trained on data with {key}="
                    f"{trained[key]!r}, but the search data has {key}={have[key]!r}; search with"
                    f" the supernet's data and split seed so search-val stays unseen"
                )
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
            "meta": meta,
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
