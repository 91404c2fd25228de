"""JPEG batches decoded on the device, so that loader workers only read files.

PIL decodes ImageNet-sized JPEGs at 75-190 images/s per CPU core (``docs/benchmarks.md``),
so a GPU training at thousands of images/s would need tens of loader cores. Here the
workers read each file's bytes (:class:`EncodedImages`, :func:`collate_encoded`); the
loader (:class:`evogroup.torch.data.loaders.DecodedLoader`, which overlaps it with the
training step) decodes the whole batch at once with a :class:`DeviceTransform`:
``torchvision.io.decode_jpeg(list, device=...)`` (nvjpeg on CUDA, libjpeg-turbo on the
CPU), then the ImageNet recipe of :mod:`evogroup.torch.data.folders` on the device:
resize the shorter side to 256 (antialiased), then a random 224 crop and a random
horizontal flip (training) or the center 224 crop (evaluation), to float in [0, 1],
normalize with ``IMAGENET_MEAN`` / ``IMAGENET_STD``. The pixels differ from PIL's by
decoder: by 6e-5 on average after normalization with libjpeg-turbo on the CPU, by 0.027
(1.5 levels of 255; nvjpeg upsamples chroma its own way) on an H200.

Which files go to the device is decided by content, not by name: a whole (ending in
the end-of-image marker) 8-bit baseline or progressive JPEG with one (grey, made RGB by
the decode mode) or three components. Anything else in the folder (PNG, a PNG named
``.JPEG`` as in ImageNet, a CMYK JPEG, which nvjpeg refuses, a 12-bit or a truncated
one) is decoded by PIL in the worker, exactly as ``--decode cpu`` decodes it
(:func:`evogroup.torch.data.folders.load_image`), and joins the batch already decoded: such
a rare file costs a worker some CPU time and never stops a run by itself. A file that
cannot be decoded (by PIL, or by the device) stops the run with
:class:`~evogroup.core.errors.DataError` naming it, as on the cpu path.

Crop offsets and flips are drawn from a CPU ``torch.Generator`` the caller owns (the
trainer passes its per-rank seeded, checkpointed global CPU generator), so a run is
reproducible from its seed and a resumed run continues the same stream.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch.utils.data import Dataset, Subset
from torchvision import datasets
from torchvision.io import ImageReadMode, decode_jpeg
from torchvision.transforms.v2 import functional as TF

from evogroup.core.errors import DataError
from evogroup.torch.data.folders import IMAGENET_MEAN, IMAGENET_STD, load_image

RESIZE, CROP = 256, 224  # the ImageNet recipe of evogroup.torch.data.folders._folder_transforms
# Frame markers nvjpeg and libjpeg-turbo both decode: baseline, extended sequential and
# progressive Huffman (arithmetic coding, lossless and hierarchical frames go to PIL).
_DEVICE_FRAMES = frozenset((0xC0, 0xC1, 0xC2))
EOI = b"\xff\xd9"  # end of image: entropy-coded data stuffs every 0xFF, so only a marker has it
_ANY_FRAME = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOF0..15 less DHT, JPG, DAC


def folder_samples(dataset: Dataset) -> list[tuple[str, int]] | None:
    """The ``(path, label)`` of each item of an ImageFolder, or of (nested) Subsets of one,
    in item order; ``None`` for any other dataset (images held as tensors)."""
    if isinstance(dataset, Subset):
        inner = folder_samples(dataset.dataset)
        return None if inner is None else [inner[i] for i in dataset.indices]
    return list(dataset.samples) if isinstance(dataset, datasets.ImageFolder) else None


# -- the CPU side: read files, collate ------------------------------------------------------


def device_decodable(data: bytes) -> bool:
    """True when ``data`` is a whole 8-bit Huffman-coded JPEG of 1 or 3 components.

    Reads the markers up to the frame header (SOF), and wants the end-of-image marker in
    the last KiB: nvjpeg decodes a truncated file without an error (measured), PIL
    refuses it. A file failing either test goes to PIL, which decodes it or names it.

    Example:
        >>> device_decodable(b"\\x89PNG\\r\\n\\x1a\\n")
        False
    """
    if data[:3] != b"\xff\xd8\xff" or data.rfind(EOI, max(0, len(data) - 1024)) < 0:
        return False
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte before the marker
            i += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            i += 2
        elif marker in _ANY_FRAME:
            precision, components = data[i + 4], data[i + 9]
            return marker in _DEVICE_FRAMES and precision == 8 and components in (1, 3)
        elif marker in (0xD9, 0xDA):  # end of image or a scan before any frame header
            return False
        else:
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return False


def read_encoded(path: str) -> torch.Tensor:
    """A file's bytes as a 1-D uint8 tensor when the device decodes it, else the image
    decoded by PIL as ``[3, H, W]`` uint8 (see the module's docstring)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc.strerror or exc) from None
    if device_decodable(data):
        return torch.frombuffer(bytearray(data), dtype=torch.uint8)
    return TF.pil_to_tensor(load_image(path))


class EncodedImages(Dataset):
    """``(read_encoded(path), label, path)`` of each item of an ImageFolder or Subset of one:
    what loader workers do when the device decodes (no decoding of JPEGs, no transform)."""

    def __init__(self, dataset: Dataset):
        samples = folder_samples(dataset)
        if samples is None:
            raise TypeError(f"EncodedImages needs an ImageFolder or a Subset of one: {dataset!r}")
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int, str]:
        path, label = self.samples[i]
        return read_encoded(path), label, path


class EncodedBatch(NamedTuple):
    """A batch before decoding, in few tensors: each tensor a worker hands over costs a
    shared-memory segment and a file descriptor, so the JPEGs travel as one.

    Attributes:
        data: the bytes of the images the device decodes, concatenated.
        lengths: each image's share of ``data``; 0 for one PIL decoded in the worker.
        decoded: the images PIL decoded, ``[3, H, W]`` uint8, in batch order.
        labels: the labels.
        paths: the files, for the message of an image that cannot be decoded.
    """

    data: torch.Tensor
    lengths: list[int]
    decoded: list[torch.Tensor]
    labels: torch.Tensor
    paths: list[str]

    def images(self) -> list[torch.Tensor]:
        """Each image: a 1-D view of its bytes in ``data``, or its PIL-decoded tensor."""
        views = iter(self.data.split([n for n in self.lengths if n]))
        decoded = iter(self.decoded)
        return [next(views) if n else next(decoded) for n in self.lengths]


def collate_encoded(items: Sequence[tuple[torch.Tensor, int, str]]) -> EncodedBatch:
    """The DataLoader's ``collate_fn`` for :class:`EncodedImages`."""
    images, labels, paths = zip(*items)
    encoded = [img for img in images if img.dim() == 1]
    data = torch.cat(encoded) if encoded else torch.empty(0, dtype=torch.uint8)
    return EncodedBatch(
        data,
        [img.numel() if img.dim() == 1 else 0 for img in images],
        [img for img in images if img.dim() == 3],
        torch.as_tensor(labels, dtype=torch.long),
        list(paths),
    )


# -- the device side: decode, resize, crop, flip, normalize ---------------------------------


class DeviceTransform:
    """An :class:`EncodedBatch` to a normalized ``[N, 3, 224, 224]`` float32 batch on ``device``.

    The same steps as the cpu path's ImageNet transforms (Resize(256), RandomCrop(224) and
    RandomHorizontalFlip or CenterCrop(224), ToDtype, Normalize), each image resized on its
    own (sizes differ) after one batched decode.

    Args:
        device: where images are decoded and transformed (``cuda``: nvjpeg).
        training: random crop and flip (else the center crop).
        generator: a CPU generator for the crops and flips; needed when ``training``.
    """

    def __init__(
        self,
        device: str | torch.device,
        *,
        training: bool,
        generator: torch.Generator | None = None,
    ):
        if training and generator is None:
            raise ValueError("a training DeviceTransform needs a seeded CPU torch.Generator")
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:  # nvjpeg is told an index
            device = torch.device("cuda", torch.cuda.current_device())
        self.device, self.training, self.generator = device, training, generator
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)

    def __call__(self, batch: EncodedBatch) -> torch.Tensor:
        images = self.decode(batch.images(), batch.paths)
        draws = torch.rand(len(images), 3, generator=self.generator) if self.training else None
        crops = [
            self._crop(
                TF.resize(img, [RESIZE], antialias=True),
                None if draws is None else draws[i].tolist(),
            )
            for i, img in enumerate(images)
        ]
        x = torch.stack(crops).float().div_(255)
        return x.sub_(self.mean).div_(self.std)

    def decode(self, images: list[torch.Tensor], paths: list[str]) -> list[torch.Tensor]:
        """Every image as ``[3, H, W]`` uint8 on the device: the encoded ones in one batched
        ``decode_jpeg``, the ones PIL decoded in the worker copied over."""
        out = [img.to(self.device, non_blocking=True) if img.dim() == 3 else img for img in images]
        encoded = [i for i, img in enumerate(images) if img.dim() == 1]
        if encoded:
            try:
                decoded = _decode_jpeg([images[i] for i in encoded], self.device)
            except RuntimeError as exc:
                raise self._culprit([(images[i], paths[i]) for i in encoded], exc) from None
            for i, img in zip(encoded, decoded):
                out[i] = img
        return out

    def _culprit(self, items: list[tuple[torch.Tensor, str]], exc: RuntimeError) -> Exception:
        """The first file that fails to decode on its own, as a DataError (a batched decode
        does not say which one failed); the batch's error when each decodes alone."""
        for data, path in items:
            try:
                _decode_jpeg([data], self.device)
            except RuntimeError as one:
                return _unreadable(path, _reason(one))
        return exc

    def _crop(self, img: torch.Tensor, draw: list[float] | None) -> torch.Tensor:
        if draw is None:
            return TF.center_crop(img, [CROP])
        h, w = img.shape[-2:]
        top = min(int(draw[0] * (h - CROP + 1)), h - CROP)
        left = min(int(draw[1] * (w - CROP + 1)), w - CROP)
        img = img[:, top : top + CROP, left : left + CROP]
        return img.flip(-1) if draw[2] < 0.5 else img


def _decode_jpeg(data: list[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """``decode_jpeg`` to RGB, without the deprecation warning torchvision 0.29 gives every
    call (its successor, TorchCodec, is not a dependency)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return decode_jpeg(data, mode=ImageReadMode.RGB, device=device)


def _reason(exc: BaseException) -> str:
    """torchvision's ``decode_jpeg, /path/decode_jpeg.cpp:171, Image is truncated`` without
    the source location."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or ["(no message)"]
    return lines[-1].rsplit(".cpp:", 1)[-1].split(", ", 1)[-1]


def _unreadable(path: str, reason: Any) -> DataError:
    """The cpu path's message (:func:`evogroup.torch.data.folders.load_image`)."""
    return DataError(
        f"--data: cannot read image {path} ({reason}); remove or replace it, then --resume"
    )
