"""One training epoch, and the metrics file every epoch rewrites."""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from evogroup.core.io import atomic_open
from evogroup.torch.device import distributed
from evogroup.torch.device.accel import Speed
from evogroup.torch.train.steps import Step

__all__ = ["SHOW_EVERY", "train_epoch", "write_csv"]

SHOW_EVERY = 10  # steps between progress-bar updates (each reads the device back)


def train_epoch(
    model: nn.Module,
    loader: Iterable,
    step_fn: Step,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rng: random.Random,
    speed: Speed,
    *,
    desc: str,
    progress: bool,
) -> dict[str, float]:
    """One epoch; loss and hits are summed on the device and read back only for the
    progress bar (every :data:`SHOW_EVERY` steps) and at the end, so the host runs ahead.

    Returns:
        ``{"loss", "train_acc", "lr", "seconds"}``, summed over the ``torchrun`` ranks.
    """
    model.train()
    t0 = time.perf_counter()
    seen = 0
    sums = torch.zeros(2, dtype=torch.float64, device=speed.device)  # loss * n, correct
    bar = tqdm(loader, desc=desc, disable=not progress, leave=False, dynamic_ncols=True)
    for step, (x, y) in enumerate(bar, 1):
        x, y = speed.inputs(x), y.to(speed.device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss, logits = step_fn(model, x, y, rng, speed)  # forward(s) and backward(s)
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            sums += torch.stack((loss.double() * len(y), logits.argmax(1).eq(y).sum().double()))
        seen += len(y)
        if progress and (step % SHOW_EVERY == 0 or step == len(loader)):
            loss_sum, correct = sums.tolist()
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{100 * correct / seen:.1f}")
    bar.close()
    loss_sum, correct, seen = distributed.sum_over_ranks([*sums.tolist(), seen])
    return {
        "loss": loss_sum / max(seen, 1),
        "train_acc": 100.0 * correct / max(seen, 1),
        "lr": scheduler.get_last_lr()[0],
        "seconds": time.perf_counter() - t0,
    }


def write_csv(path: Path, history: list[dict[str, Any]]) -> None:
    """The whole history, rewritten atomically (so a resumed run never duplicates rows)."""
    with atomic_open(path, "w") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(history[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
