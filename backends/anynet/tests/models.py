"""Small model factories that the ``module`` backend's tests name by import path."""

from __future__ import annotations

from torch import nn


def tiny_net(num_classes: int = 10, width: int = 16) -> nn.Module:
    """A stem, two depthwise-separable blocks and a linear classifier (depthwise convs are
    the default genes)."""
    layers: list[nn.Module] = [
        nn.Conv2d(3, width, 3, 2, 1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(),
    ]
    for cin, cout in ((width, 2 * width), (2 * width, 2 * width)):
        layers += [
            nn.Conv2d(cin, cin, 3, 1, 1, groups=cin, bias=False),
            nn.BatchNorm2d(cin),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        ]
    return nn.Sequential(
        *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, num_classes)
    )


def conv_classifier(num_classes: int = 10) -> nn.Module:
    """A net ending in a 1x1 conv classifier (as SqueezeNet): --binarize keeps it real."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=2, bias=False),
        nn.ReLU(),
        nn.Conv2d(8, num_classes, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


def not_a_module(num_classes: int = 10) -> int:
    return num_classes


def fixed_size(num_classes: int = 10) -> nn.Module:
    """A classifier sized for 56x56 feature maps after two stride-2 convs: 224x224 inputs."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, 2, 1, bias=False),
        nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False),
        nn.Flatten(),
        nn.Linear(8 * 56 * 56, num_classes),
    )
