"""The accuracy of a network: the one function training, the fitness and the benchmarks
score with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import torch
from torch import nn

from evogroup.torch.accel import Speed

__all__ = ["Accuracy", "accuracy"]


class Accuracy(NamedTuple):
    """Top-1 and top-5 accuracy in percent (top-5 is top-``C`` with fewer classes)."""

    top1: float
    top5: float


def accuracy(model: nn.Module, batches: Iterable, speed: Speed) -> Accuracy:
    """Top-1 and top-5 accuracy of ``model`` on ``(images, labels)`` batches, in eval mode
    and inference mode, under ``speed``'s autocast and input memory format (see
    :mod:`evogroup.torch.accel`); hits are counted on the device and read back once. The
    top-1 prediction is ``argmax`` (ties go to the lowest class). The model's mode is
    restored after.

    Raises:
        ValueError: ``batches`` holds no image.
    """
    was_training = model.training
    model.eval()
    total = 0
    with torch.inference_mode():
        hits = torch.zeros(2, dtype=torch.long, device=speed.device)
        for x, y in batches:
            with speed.autocast():
                logits = model(speed.inputs(x))
            y = y.to(speed.device, non_blocking=True)
            top = logits.topk(min(5, logits.shape[1]), dim=1).indices.eq(y[:, None]).any(dim=1)
            hits += torch.stack((logits.argmax(1).eq(y).sum(), top.sum()))
            total += len(y)
        top1, top5 = hits.tolist()
    model.train(was_training)
    if total == 0:
        raise ValueError("accuracy() needs at least one image, but the data is empty")
    return Accuracy(100.0 * top1 / total, 100.0 * top5 / total)
