"""Datasets read from a directory: CIFAR-10 python batches and ImageFolder trees.

:func:`evogroup.torch.data.sources.load_data` picks the reader; each returns a
:class:`~evogroup.torch.data.sources.DataSplits`. Large images (shorter side >= 160) get the
paper's ImageNet transforms; small ones keep their size.
"""

from __future__ import annotations

import contextlib
import copy
import os
import pickle
import statistics
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Subset
from torchvision import datasets
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import v2

from evogroup.core.errors import DataError
from evogroup.torch.data.splits import DataSplits, TensorImages, stratified_split

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
LARGE_IMAGE = 160  # images whose shorter side is at least this get the ImageNet transforms
CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def cifar10(root: Path, seed: int, val_fraction: float) -> DataSplits:
    batches = [_read_cifar_batch(root / f) for f in CIFAR_FILES]
    x = torch.cat([b[0] for b in batches[:5]])
    y = torch.cat([b[1] for b in batches[:5]])
    x_test, y_test = batches[5]
    if y.numel() and (int(y.min()) < 0 or int(max(y.max(), y_test.max())) > 9):
        raise DataError(
            f"--data {root}: CIFAR-10 labels must lie in 0..9, but found"
            f" {int(min(y.min(), y_test.min()))}..{int(max(y.max(), y_test.max()))}"
        )
    meta = root / "batches.meta"
    classes = [str(i) for i in range(10)]
    if meta.is_file():
        names = _unpickle(meta).get(b"label_names")
        classes = [n.decode() if isinstance(n, bytes) else str(n) for n in names or classes]
    tr, va = stratified_split(y.numpy(), [val_fraction], seed)
    _check_splits(root, {"train": y[tr].numpy(), "search-val": y[va].numpy(), "test": y_test})
    train = x[tr], y[tr]
    to_float = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(CIFAR_MEAN, CIFAR_STD)]
    aug = v2.Compose([v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip(), *to_float])
    ev = v2.Compose(to_float)
    return DataSplits(
        name="cifar10",
        train=TensorImages(*train, aug),
        train_plain=TensorImages(*train, ev),
        search_val=TensorImages(x[va], y[va], ev),
        test=TensorImages(x_test, y_test, ev),
        num_classes=len(classes),
        image_size=32,
        classes=tuple(classes),
        source=str(root),
        split_seed=seed,
    )


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh, encoding="bytes")
    except Exception as exc:  # pickle raises many types on a malformed file
        raise DataError(
            f"--data {path.parent}: {path.name} is not a CIFAR-10 batch ({exc})"
        ) from None
    if not isinstance(obj, dict):
        raise DataError(f"--data {path.parent}: {path.name} is not a CIFAR-10 batch (not a dict)")
    return obj


def _read_cifar_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    d = _unpickle(path)
    data, labels = d.get(b"data", d.get("data")), d.get(b"labels", d.get("labels"))
    if data is None or labels is None:
        raise DataError(
            f"--data {path.parent}: {path.name} must hold 'data' and 'labels', like CIFAR-10's"
            f" python batches"
        )
    data = np.asarray(data, dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DataError(
            f"--data {path.parent}: {path.name} must hold N x 3072 uint8 images and N labels,"
            f" but has data {data.shape} and {len(labels)} labels"
        )
    x = torch.from_numpy(data.reshape(-1, 3, 32, 32).copy())
    return x, torch.as_tensor(np.asarray(labels), dtype=torch.long)


def is_imagefolder(root: Path) -> bool:
    """True when ``root`` has a class subfolder holding at least one image file."""
    if not root.is_dir():
        return False
    for sub in root.iterdir():
        if sub.is_dir() and not sub.name.startswith("."):
            for _, _, files in os.walk(sub):
                if any(f.lower().endswith(IMG_EXTENSIONS) for f in files):
                    return True
    return False


#: PIL's errors on damaged files, and its size guard against decompression bombs (an image
#: over ``Image.MAX_IMAGE_PIXELS``): to evogroup all mean "unreadable".
_UNREADABLE = (
    OSError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@contextlib.contextmanager
def _size_guarded() -> Iterator[None]:
    """PIL's warning for an image over its pixel limit raised, as its error is at twice it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def load_image(path: str):
    """torchvision's loader, but an unreadable image stops the run naming its path.

    Refusing (not skipping) keeps every epoch's batches, and so a resumed run, the same
    as an uninterrupted one; the user removes or replaces the file and resumes.
    """
    try:
        with _size_guarded():
            return datasets.folder.default_loader(path)
    except _UNREADABLE as exc:
        raise DataError(
            f"--data: cannot read image {path} ({exc}); remove or replace it, then --resume"
        ) from None


def _image_folder(root: Path, *, training: bool = True) -> datasets.ImageFolder:
    """An ImageFolder of at least two classes (each with an image, when ``training``)."""
    try:
        ds = datasets.ImageFolder(str(root), loader=load_image, allow_empty=True)
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"--data {root}: not a readable ImageFolder ({exc})") from None
    counts = np.bincount(np.asarray(ds.targets, dtype=np.int64), minlength=len(ds.classes))
    empty = [c for c, n in zip(ds.classes, counts) if n == 0]
    if training and empty:
        raise DataError(
            f"--data {root}: every class folder needs at least one image, but"
            f" {len(empty)} have none ({_few(empty)})"
        )
    if int((counts > 0).sum()) < 2:
        raise DataError(
            f"--data {root}: a classification task needs at least two classes with images,"
            f" but found {int((counts > 0).sum())} ({_few(ds.classes)})"
        )
    return ds


def _folder_transforms(ds: datasets.ImageFolder) -> tuple[int, v2.Compose, v2.Compose]:
    """The image size and the (train, eval) transforms, by the size of a few sample images."""
    step = max(1, len(ds.samples) // 16)
    sides = []
    for p, _ in ds.samples[::step][:16]:
        try:
            with _size_guarded(), Image.open(p) as im:
                sides.append(min(im.size))
        except _UNREADABLE as exc:
            raise DataError(f"--data {ds.root}: cannot read image {p} ({exc})") from None
    side = int(statistics.median(sides))
    tail = [
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ]
    if side >= LARGE_IMAGE:  # the paper's ImageNet recipe
        train = v2.Compose([v2.Resize(256), v2.RandomCrop(224), v2.RandomHorizontalFlip(), *tail])
        return 224, train, v2.Compose([v2.Resize(256), v2.CenterCrop(224), *tail])
    size = max(32, side)
    fit = [v2.Resize(size), v2.CenterCrop(size)]
    aug = [v2.RandomCrop(size, padding=size // 8), v2.RandomHorizontalFlip()]
    return size, v2.Compose([*fit, *aug, *tail]), v2.Compose([*fit, *tail])


def _with_transform(ds: datasets.ImageFolder, transform: Callable) -> datasets.ImageFolder:
    out = copy.copy(ds)  # shares the (possibly huge) sample list
    out.transform = transform
    return out


def _folder_splits(name, source, seed, base, test_base, idx) -> DataSplits:
    size, aug, ev = _folder_transforms(base)
    tr, va, te = idx
    test = Subset(_with_transform(test_base, ev), te.tolist()) if te is not None else None
    return DataSplits(
        name=name,
        train=Subset(_with_transform(base, aug), tr.tolist()),
        train_plain=Subset(_with_transform(base, ev), tr.tolist()),
        search_val=Subset(_with_transform(base, ev), va.tolist()),
        test=test if test is not None else _with_transform(test_base, ev),
        num_classes=len(base.classes),
        image_size=size,
        classes=tuple(base.classes),
        source=source,
        split_seed=seed,
        num_workers=min(8, os.cpu_count() or 1),
    )


def folder_tree(root: Path, seed: int, val_fraction: float) -> DataSplits:
    train, test = _image_folder(root / "train"), _image_folder(root / "val", training=False)
    if train.classes != test.classes:
        raise DataError(
            f"--data {root}: train/ and val/ must have the same class folders, but train has"
            f" {len(train.classes)} ({_few(train.classes)}) and val has {len(test.classes)}"
            f" ({_few(test.classes)})"
        )
    frac = min(val_fraction, 50_000 / max(1, len(train.targets)))
    tr, va = stratified_split(train.targets, [frac], seed)
    targets = np.asarray(train.targets)
    _check_splits(root, {"train": targets[tr], "search-val": targets[va], "val": test.targets})
    return _folder_splits("imagefolder", str(root), seed, train, test, (tr, va, None))


def single_folder(root: Path, seed: int, val_fraction: float, test_fraction: float) -> DataSplits:
    ds = _image_folder(root)
    tr, va, te = stratified_split(ds.targets, [val_fraction, test_fraction], seed)
    targets = np.asarray(ds.targets)
    _check_splits(root, {"train": targets[tr], "search-val": targets[va], "test": targets[te]})
    return _folder_splits("imagefolder", str(root), seed, ds, ds, (tr, va, te))


def _check_splits(root: Path, labels: dict) -> None:
    """Every split holds images of at least two classes (accuracy on one class says nothing)."""
    for name, split in labels.items():
        if len(split) == 0:
            raise DataError(
                f"--data {root}: the {name} split is empty; each class needs enough images"
                f" for train, search-val and test"
            )
        classes = len(np.unique(np.asarray(split)))
        if classes < 2:
            raise DataError(
                f"--data {root}: the {name} split must hold images of at least two classes,"
                f" but holds {len(split)} image(s) of {classes}; add images to the other classes"
            )


def _few(names: Sequence[str], k: int = 4) -> str:
    return ", ".join(names[:k]) + (", ..." if len(names) > k else "")
