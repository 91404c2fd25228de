"""Shared fixtures of the binmobilenet tests: an isolated FLOP-table cache, small supernets."""

from __future__ import annotations

import pytest
import torch

from binmobilenet.supernet import SuperNet
from evogroup.testing.fixtures import flop_cache, one_thread, random_genome  # noqa: F401

SMALL = {"num_classes": 10, "width_mult": 0.25}  # channels 8..256: fast on CPU


@pytest.fixture(scope="session")
def small_nets() -> dict[str, SuperNet]:
    torch.manual_seed(0)
    return {m: SuperNet(m, **SMALL) for m in ("M1", "M2", "M3")}
