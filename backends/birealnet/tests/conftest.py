"""Shared fixtures of the birealnet tests: an isolated FLOP-table cache, a small supernet."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch
from birealnet.supernet import SuperNet

SMALL = {"num_classes": 10, "width_mult": 0.25}  # channels 16..128: fast on CPU


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The models under test are tiny: one thread is as fast, and immune to busy neighbours."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True, scope="session")
def flop_cache(tmp_path_factory: pytest.TempPathFactory):
    """One fresh FLOP-table cache for the session (tables are built once, then read)."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("evogroup-cache")
        mp.setenv("EVOGROUP_CACHE", str(path))
        yield path


@pytest.fixture(scope="session")
def small_net() -> SuperNet:
    torch.manual_seed(0)
    return SuperNet(**SMALL)


@pytest.fixture(scope="session")
def random_genome() -> Callable[[SuperNet, int], tuple[int, ...]]:
    """``random_genome(net, seed)``: a seeded uniform draw from ``net``'s space."""

    def draw(net: SuperNet, seed: int) -> tuple[int, ...]:
        rng = random.Random(seed)
        return tuple(rng.choice(layer.choices) for layer in net.space.layers)

    return draw
