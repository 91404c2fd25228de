"""The accuracy of a network: the one function training, the fitness and the benchmarks
score with, and the one loop over evaluation batches every score sums in
(:func:`summed_over`; the fitness's negative loss is the other)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import torch
from torch import nn

from evogroup.core.errors import InvalidValueError
from evogroup.torch.device.accel import Speed

__all__ = ["Accuracy", "accuracy", "summed_over"]


class Accuracy(NamedTuple):
    """Top-1 and top-5 accuracy in percent (top-5 is top-``C`` with fewer classes)."""

    top1: float
    top5: float


def accuracy(model: nn.Module, batches: Iterable, speed: Speed) -> Accuracy:
    """Top-1 and top-5 accuracy of ``model`` on ``(images, labels)`` batches (through
    :func:`summed_over`). The top-1 prediction is ``argmax`` (ties go to the lowest class).

    Raises:
        ValueError: ``batches`` holds no image.
    """

    def hits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        top = logits.topk(min(5, logits.shape[1]), dim=1).indices.eq(y[:, None]).any(dim=1)
        return torch.stack((logits.argmax(1).eq(y).sum(), top.sum()))

    (top1, top5), total = summed_over(model, batches, speed, hits, "accuracy()")
    return Accuracy(100.0 * top1 / total, 100.0 * top5 / total)


def summed_over(
    model: nn.Module,
    batches: Iterable,
    speed: Speed,
    per_batch: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    what: str = "scoring",
) -> tuple[list[float], int]:
    """``(sums, images)``: the sums over ``(images, labels)`` batches of
    ``per_batch(logits, labels)`` (a 1-d tensor), with ``model`` in eval mode and inference
    mode under ``speed``'s autocast and input memory format (see
    :mod:`evogroup.torch.device.accel`); summed on the device in float64 (exact for counts) and
    read back once. The model's mode is restored after.

    Raises:
        ValueError: ``batches`` holds no image (``what`` names the caller).
    """
    was_training = model.training
    model.eval()
    total, sums = 0, None
    with torch.inference_mode():
        for x, y in batches:
            with speed.autocast():
                logits = model(speed.inputs(x))
            part = per_batch(logits, y.to(speed.device, non_blocking=True)).double()
            sums = part if sums is None else sums + part
            total += len(y)
        out = [] if sums is None else sums.tolist()
    model.train(was_training)
    if total == 0:
        raise InvalidValueError(f"{what} needs at least one image, but the data is empty")
    return out, total
