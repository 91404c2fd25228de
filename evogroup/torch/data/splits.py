"""The splits of a dataset: train / search-val / test, and images held in memory.

Every split is drawn once from a seed (the *split seed*) by :func:`stratified_split`:
keep it fixed across supernet training, search and final training so that the search
never sees the test split. :mod:`evogroup.torch.data.sources` and :mod:`evogroup.torch.data.folders`
build :class:`DataSplits` from their sources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["DataSplits", "TensorImages", "stratified_split"]


@dataclass(frozen=True)
class DataSplits:
    """The three splits of a dataset, plus a non-augmented view of train.

    Attributes:
        name: ``"digits"``, ``"cifar10"`` or ``"imagefolder"``.
        train: training images with augmentation.
        train_plain: the same images as ``train`` with the evaluation transform
            (for BatchNorm recalibration).
        search_val: held out from train; the search's fitness data.
        test: never seen by the search; for the final report only.
        num_classes: number of classes.
        image_size: the training resolution (side of the square crops).
        classes: class names, in label order.
        source: the ``--data`` value this came from (``"digits"`` for the default).
        split_seed: the seed the splits were drawn with.
        num_workers: DataLoader workers that suit this data (0 when held in memory).
    """

    name: str
    train: Dataset
    train_plain: Dataset
    search_val: Dataset
    test: Dataset
    num_classes: int
    image_size: int
    classes: tuple[str, ...]
    source: str
    split_seed: int
    num_workers: int = 0

    def describe(self) -> dict:
        """A JSON-able summary (recorded in checkpoints and results)."""
        return {
            "name": self.name,
            "source": self.source,
            "split_seed": self.split_seed,
            "num_classes": self.num_classes,
            "image_size": self.image_size,
            "sizes": {k: len(getattr(self, k)) for k in ("train", "search_val", "test")},
        }


class TensorImages(Dataset):
    """Images held in memory as a ``[N, C, H, W]`` tensor, with a per-image transform."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable | None):
        self.images, self.labels, self.transform = images, labels.long(), transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = self.images[i]
        return (self.transform(x) if self.transform else x), int(self.labels[i])


def stratified_split(
    labels: Sequence[int] | np.ndarray, fractions: Sequence[float], seed: int
) -> list[np.ndarray]:
    """Split indices into parts of the given fractions (the rest is the first part), per class.

    Example:
        >>> labels = np.array([0] * 10 + [1] * 10)
        >>> train, val = stratified_split(labels, [0.2], seed=0)
        >>> len(train), len(val), labels[val].tolist()
        (16, 4, [0, 0, 1, 1])
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    edges = np.cumsum([0.0, *fractions])
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        # Rank r of n lands in part k when (r + 0.5) / n falls in [edges[k-1], edges[k]).
        u = (np.arange(len(idx)) + 0.5) / len(idx)
        which = np.searchsorted(edges, u, side="right")
        which[which > len(fractions)] = 0
        for k in range(len(parts)):
            parts[k].append(idx[which == k])
    return [np.sort(np.concatenate(p)) for p in parts]
