"""Shared fixtures of the birealnet tests: an isolated FLOP-table cache, a small supernet."""

from __future__ import annotations

import pytest
import torch

from birealnet.supernet import SuperNet
from evogroup.testing.fixtures import flop_cache, one_thread, random_genome  # noqa: F401

SMALL = {"num_classes": 10, "width_mult": 0.25}  # channels 16..128: fast on CPU


@pytest.fixture(scope="session")
def small_net() -> SuperNet:
    torch.manual_seed(0)
    return SuperNet(**SMALL)
