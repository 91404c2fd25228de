"""Run under ``torchrun`` by ``test_ddp.py``: a few supernet steps; each rank saves its weights.

Usage: ``torchrun --standalone --nproc_per_node 2 tests/torch/ddp_worker.py OUT``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import torch
from binmobilenet import SuperNet
from torch.utils.data import Subset

from evogroup.core import launch
from evogroup.rundir.layout import RunLayout
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.nn.weights import supernet_kind
from evogroup.torch.options.recipe import TrainConfig
from evogroup.torch.train.trainer import seeded, train_supernet

SMALL = {"module": "M2", "num_classes": 10, "width_mult": 0.25}
CONFIG = TrainConfig(epochs=2, batch_size=16, lr=5e-3, seed=3)  # 4 steps of 16 per epoch


def setup() -> tuple[SuperNet, object]:
    """The net and the data: 64 training images without augmentation, so that what a rank
    sees depends on the sampler alone."""
    data = load_data()
    train = Subset(data.train_plain, range(64))
    data = dataclasses.replace(data, train=train, train_plain=train)
    with seeded(CONFIG.seed):
        net = SuperNet(**SMALL)
    return net, data


def main(out: Path) -> None:
    torch.set_num_threads(1)
    net, data = setup()
    meta = {"arch": SMALL, "image_size": 32, "data": data.describe()}
    train_supernet(
        net,
        data,
        CONFIG,
        RunLayout(out),
        kind=supernet_kind("binmobilenet"),
        meta=meta,
        runtime=Runtime.resolve("cpu"),
        progress=False,
    )
    torch.save(net.state_dict(), out / f"rank{launch.rank()}.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
