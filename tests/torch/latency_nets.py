"""Tiny networks for the latency tests: one whose classifier fixes the input size."""

from __future__ import annotations

from torch import nn


def fixed_size(num_classes: int = 10) -> nn.Module:
    """Runs at 32x32 px only: the classifier flattens a 32x32 feature map."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.Flatten(),
        nn.Linear(8 * 32 * 32, num_classes),
    )
