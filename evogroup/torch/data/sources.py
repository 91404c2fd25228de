"""Datasets for weight-sharing backends: train / search-val / test splits.

Three sources, chosen by ``--data``:

========================  ==========================================================
``None`` or ``"digits"``  scikit-learn's 8x8 digits (shipped with the package, no
                          download), 10 classes, upsampled to 32x32, 3 channels,
                          split 70/15/15 (stratified).
ImageFolder tree          ``PATH/train/<class>/*.jpg`` and ``PATH/val/<class>/*.jpg``:
                          ``val`` is the test split; search-val is carved from train.
one ImageFolder           ``PATH/<class>/*.jpg``, split 70/15/15 (stratified).
CIFAR-10 batches          ``data_batch_1..5`` (train + search-val) and ``test_batch``.
========================  ==========================================================

Every split is drawn once from ``seed`` (the *split seed*): keep it fixed across
supernet training, search and final training so that the search never sees the
test split. Large images get the paper's transforms (resize 256, random crop 224 and
horizontal flip for training; resize 256 and center crop 224 for evaluation); small
images keep their size (random crop with padding, plus a flip except for digits).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torchvision.transforms import v2

from evogroup.core.errors import DataError
from evogroup.torch.data.folders import (
    CIFAR_FILES,
    cifar10,
    folder_tree,
    is_imagefolder,
    single_folder,
)
from evogroup.torch.data.splits import DataSplits, TensorImages, stratified_split

__all__ = ["DataSplits", "load_data", "stratified_split"]


def load_data(
    path: str | os.PathLike | None = None,
    *,
    seed: int = 0,
    val_fraction: float | None = None,
    test_fraction: float = 0.15,
) -> DataSplits:
    """Load a dataset and split it by ``seed`` into train / search-val / test.

    Args:
        path: ``None`` or ``"digits"`` for the embedded dataset, else a directory
            (ImageFolder tree, one ImageFolder, or CIFAR-10 python batches).
        seed: the split seed; the same seed gives the same splits.
        val_fraction: share of the training images held out for the search
            (default: 0.15 of all images for digits and single folders, 0.1 of
            train for CIFAR-10 and ImageFolder trees, at most 50,000 images).
        test_fraction: share of all images for the test split where the data has
            no test split of its own (digits, single folder).

    Example:
        >>> d = load_data()
        >>> d.num_classes, d.image_size, d.train[0][0].shape
        (10, 32, torch.Size([3, 32, 32]))
    """
    if path is None or str(path) == "digits":
        return _digits(seed, 0.15 if val_fraction is None else val_fraction, test_fraction)
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"--data {path}: no such directory")
    if not root.is_dir():
        raise DataError(f"--data {path}: expected a directory, but it is a file")
    present = [f for f in CIFAR_FILES if (root / f).is_file()]
    if present and len(present) < len(CIFAR_FILES):
        missing = [f for f in CIFAR_FILES if f not in present]
        raise DataError(
            f"--data {path}: a CIFAR-10 folder needs {', '.join(CIFAR_FILES)}, but"
            f" {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
        )
    if present:
        return cifar10(root, seed, 0.1 if val_fraction is None else val_fraction)
    if is_imagefolder(root / "train") and is_imagefolder(root / "val"):
        return folder_tree(root, seed, 0.1 if val_fraction is None else val_fraction)
    if is_imagefolder(root):
        frac = 0.15 if val_fraction is None else val_fraction
        return single_folder(root, seed, frac, test_fraction)
    raise DataError(
        f"--data {path}: expected an ImageFolder tree (class subfolders with images, or"
        f" train/ and val/ holding them) or a CIFAR-10 batches folder (data_batch_1..5,"
        f" test_batch); found neither"
    )


def _digits(seed: int, val_fraction: float, test_fraction: float) -> DataSplits:
    from sklearn.datasets import load_digits

    raw = load_digits()
    x = torch.from_numpy(raw.images).float().div_(16.0).unsqueeze(1)  # [N, 1, 8, 8] in [0, 1]
    x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    x = x.clamp_(0, 1).expand(-1, 3, -1, -1).contiguous()
    y = torch.from_numpy(raw.target).long()
    tr, va, te = stratified_split(raw.target, [val_fraction, test_fraction], seed)
    mean, std = x[tr].mean().item(), x[tr].std().item()
    norm = v2.Normalize([mean] * 3, [std] * 3)
    # a small random translation; no flips: digits are not symmetric
    aug = v2.Compose([v2.RandomCrop(32, padding=3, fill=0), norm])
    return DataSplits(
        name="digits",
        train=TensorImages(x[tr], y[tr], aug),
        train_plain=TensorImages(x[tr], y[tr], norm),
        search_val=TensorImages(x[va], y[va], norm),
        test=TensorImages(x[te], y[te], norm),
        num_classes=10,
        image_size=32,
        classes=tuple(str(c) for c in raw.target_names),
        source="digits",
        split_seed=seed,
    )
