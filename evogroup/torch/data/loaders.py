"""Every loader of the torch layer: training, evaluation and BatchNorm recalibration,
decoded by PIL in worker processes or on the device.

Where JPEGs are decoded is settled once per dataset by :func:`decodes_on_device` from
the :class:`~evogroup.torch.device.runtime.Runtime`; :func:`loader` then builds either a plain
DataLoader of transformed tensors or a :class:`DecodedLoader`, whose workers only read
file bytes and whose batches are decoded and augmented on the device
(:mod:`evogroup.torch.data.jpeg`).

**Overlap.** A :class:`DecodedLoader` on CUDA decodes the next batch on a side CUDA
stream while the caller's stream trains on the current one: the next batch is enqueued
on the side stream before the current one is handed over, the caller's stream waits on
an event recorded after each batch (``wait_event``, not ``wait_stream``, so the step
never waits for the batch after its own), and each handed-over tensor is marked used by
the caller's stream (``record_stream``), so the caching allocator gives its memory back
to the side stream only once the step that read it has run. Memory is reused by that
allocator, not by hand-kept buffers, which would be overwritten under a caller that
holds batches (the fitness keeps its evaluation batches on the device). Crops and flips
are drawn on the host in batch order, one batch ahead: the same draws as decoding each
batch when asked, and at the end of an epoch the generator stands where it would have.
On the CPU there is no stream and the same loop runs one batch ahead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset
from torchvision import datasets

from evogroup.core.errors import OptionError
from evogroup.torch.data.jpeg import CROP, RESIZE, DeviceTransform, EncodedImages, collate_encoded
from evogroup.torch.device.accel import Speed
from evogroup.torch.device.runtime import Runtime

__all__ = ["DecodedLoader", "decodes_on_device", "evaluation_batches", "loader", "make_loader"]

Batch = tuple[torch.Tensor, torch.Tensor]
# Held as tensors when below this many bytes; larger data is streamed through a loader.
IN_MEMORY_BYTES = 2 << 30
# The same on a CUDA device, counted in the dtype held there (bf16 under autocast).
DEVICE_BYTES = 8 << 30


def decodes_on_device(runtime: Runtime, data: Any) -> bool:
    """Whether the JPEGs of ``data`` (a DataSplits) are decoded on ``runtime.device``.

    ``auto`` decodes there only where it pays and mirrors the cpu path: a CUDA device and
    ImageFolder data at the ImageNet recipe (224 crops). ``gpu`` on data it cannot decode is
    an :class:`~evogroup.core.errors.OptionError` naming why (off CUDA it was refused with
    the command's options, :func:`~evogroup.torch.data.decode.check_decode`; a runtime built
    by hand runs the device path wherever it is, as the tests do on the CPU).
    """
    if runtime.decode == "cpu" or (runtime.decode == "auto" and runtime.device.type != "cuda"):
        return False
    auto = runtime.decode == "auto"
    if _image_folder(data.train) is None or _image_folder(data.test) is None:
        if auto:
            return False
        raise OptionError(
            f"--decode gpu needs an ImageFolder of JPEGs, but --data is {data.name}"
            f" (images held as tensors)"
        )
    if data.image_size != CROP:
        if auto:
            return False
        raise OptionError(
            f"--decode gpu decodes at the ImageNet recipe (resize {RESIZE}, crop {CROP}), but"
            f" --data {data.source} has small images (trained at {data.image_size});"
            f" use --decode cpu"
        )
    return True


def _image_folder(dataset: Dataset) -> datasets.ImageFolder | None:
    """The ImageFolder below ``dataset``'s Subsets, if any (no sample list built)."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return dataset if isinstance(dataset, datasets.ImageFolder) else None


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    sampler: Sampler | None = None,
    generator: torch.Generator | None = None,
    num_workers: int = 0,
    device: torch.device | None = None,
) -> DataLoader:
    """A DataLoader of ``dataset``'s transformed tensors (decoded by PIL in the workers),
    in order unless ``sampler`` deals it; pinned memory for a CUDA ``device``."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        generator=generator,
        num_workers=num_workers,
        persistent_workers=False,
        pin_memory=device is not None and device.type == "cuda",
    )


def loader(
    dataset: Dataset,
    batch_size: int,
    runtime: Runtime,
    on_device: bool,
    *,
    augment: torch.Generator | None = None,
    sampler: Sampler | None = None,
    generator: torch.Generator | None = None,
    num_workers: int = 0,
) -> DataLoader | DecodedLoader:
    """``dataset`` in batches of ``batch_size``: decoded on ``runtime.device`` when
    ``on_device`` (:func:`decodes_on_device`), augmented with crops and flips drawn from
    ``augment`` (``None``: the evaluation transform), else by the dataset's own transform
    in ``num_workers`` worker processes. ``sampler`` and ``generator`` order the data (a
    DistributedSampler under DDP)."""
    if not on_device:
        return make_loader(
            dataset,
            batch_size,
            sampler=sampler,
            generator=generator,
            num_workers=num_workers,
            device=runtime.device,
        )
    files = DataLoader(
        EncodedImages(dataset),
        batch_size=batch_size,
        sampler=sampler,
        generator=generator,
        num_workers=num_workers,
        persistent_workers=False,
        collate_fn=collate_encoded,
    )
    transform = DeviceTransform(runtime.device, training=augment is not None, generator=augment)
    return DecodedLoader(files, transform)


class DecodedLoader:
    """Iterates a DataLoader of :class:`~evogroup.torch.data.jpeg.EncodedImages` and yields
    ``(x, y)`` on the device, ``x`` made by a :class:`~evogroup.torch.data.jpeg.DeviceTransform`
    one batch ahead, on a side stream on CUDA (the module's docstring): a drop-in for a
    DataLoader (``len``, ``sampler``, ``dataset`` pass through)."""

    def __init__(self, files: DataLoader, transform: DeviceTransform):
        self.files, self.transform = files, transform

    def __len__(self) -> int:
        return len(self.files)

    @property
    def sampler(self) -> Sampler | None:
        return self.files.sampler

    @property
    def dataset(self) -> Dataset:
        return self.files.dataset

    def __iter__(self) -> Iterator[Batch]:
        device = self.transform.device
        side = torch.cuda.Stream(device) if device.type == "cuda" else None
        if side is not None:  # the transform's constants were made on the caller's stream
            side.wait_stream(torch.cuda.current_stream(device))
        pending = None
        for batch in self.files:
            ahead = self._decode(batch, side)  # enqueued before the caller's step on `pending`
            if pending is not None:
                yield _hand_over(*pending)
            pending = ahead
        if pending is not None:
            yield _hand_over(*pending)

    def _decode(self, batch: Any, side: torch.cuda.Stream | None) -> tuple:
        context = torch.cuda.stream(side) if side is not None else contextlib.nullcontext()
        with context:
            x = self.transform(batch)
            y = batch.labels.to(self.transform.device, non_blocking=True)
            done = None
            if side is not None:
                done = torch.cuda.Event()
                done.record(side)
        return x, y, done


def _hand_over(x: torch.Tensor, y: torch.Tensor, done: torch.cuda.Event | None) -> Batch:
    """``(x, y)`` made usable on the caller's stream: it waits for their decode only, and
    the allocator keeps their memory until the caller's work queued on them has run."""
    if done is not None:
        stream = torch.cuda.current_stream(x.device)
        stream.wait_event(done)
        x.record_stream(stream)
        y.record_stream(stream)
    return x, y


def evaluation_batches(
    dataset: Dataset,
    batch_size: int,
    speed: Speed,
    runtime: Runtime,
    on_device: bool,
    num_workers: int = 0,
) -> Callable[[], Iterable[Batch]]:
    """A function returning ``dataset``'s ``(x, y)`` batches for evaluation or BatchNorm
    recalibration (no augmentation; decoded on the device when ``on_device``): held on
    the device when they fit (on CUDA under autocast: in its dtype and memory format, up
    to :data:`DEVICE_BYTES`; elsewhere up to :data:`IN_MEMORY_BYTES`), else re-read each
    time."""
    batches = loader(dataset, batch_size, runtime, on_device, num_workers=num_workers)
    if on_device:  # decoded to float32 crops, whatever the dataset's own transform makes
        numel, itemsize = 3 * CROP * CROP, 4
    else:
        x0 = dataset[0][0]
        numel, itemsize = x0.numel(), x0.element_size()
    cast = speed.device.type == "cuda" and speed.amp is not None
    size = numel * (speed.amp.itemsize if cast else itemsize) * len(dataset)
    if size > (DEVICE_BYTES if speed.device.type == "cuda" else IN_MEMORY_BYTES):
        return lambda: batches

    def hold(x: torch.Tensor) -> torch.Tensor:
        x = speed.inputs(x)
        return x.to(speed.amp) if cast else x

    held = [(hold(x), y.to(speed.device)) for x, y in batches]
    return lambda: held
