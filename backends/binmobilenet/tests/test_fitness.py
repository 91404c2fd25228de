"""Fitness: BatchNorm recalibration and the supernet's search-val accuracy of a genome."""

from __future__ import annotations

import pickle

import pytest
import torch
from binmobilenet import SuperNet
from binmobilenet.data import load_data
from binmobilenet.fitness import SupernetFitness, recalibrate_bn
from binmobilenet.training import train_supernet

from evogroup.errors import CheckpointError


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A width-0.25 supernet trained one epoch on the full digits data (10 steps)."""
    torch.manual_seed(0)
    net = SuperNet("M2", num_classes=10, width_mult=0.25)
    out = tmp_path_factory.mktemp("fitness")
    return train_supernet(
        net,
        load_data(),
        epochs=1,
        batch_size=128,
        out_dir=out,
        progress=False,
        device="cpu",
        num_threads=1,
    )


def _bn_stats(net):
    return [
        (m.running_mean.clone(), m.running_var.clone())
        for m in net.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]


def test_recalibration_replaces_running_stats_and_keeps_momentum():
    torch.manual_seed(0)
    net = SuperNet("M2", num_classes=10, width_mult=0.25)
    before = _bn_stats(net)
    batches = [torch.randn(16, 3, 32, 32) * 3 + 1 for _ in range(3)]
    recalibrate_bn(net, batches, net.space.uniform(2))
    after = _bn_stats(net)
    assert all(
        not torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1]) for a, b in zip(before, after)
    )
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(bn.momentum == 0.1 and int(bn.num_batches_tracked) == 3 for bn in bns)
    assert not net.training
    # a cumulative average: the stem's running mean is the mean of the three batch means
    stem_out = [net.stem[0](x) for x in batches]
    expected = torch.stack([y.mean(dim=(0, 2, 3)) for y in stem_out]).mean(0)
    torch.testing.assert_close(net.stem[1].running_mean, expected.detach(), rtol=1e-4, atol=1e-5)


def test_fitness_is_deterministic_and_picklable(checkpoint):
    fitness = SupernetFitness(checkpoint, recal_images=128, batch_size=64)
    genome = (4,) * 18
    first = fitness(genome)
    assert 0.0 <= first <= 100.0
    assert fitness(genome) == first
    shipped = pickle.loads(pickle.dumps(fitness))
    assert shipped._state is None  # loads lazily in the worker
    assert shipped(genome) == first
    assert fitness.describe()["recal_images"] == 128


def test_fitness_recalibrates_for_each_genome(checkpoint):
    fitness = SupernetFitness(checkpoint, recal_images=64, batch_size=64)
    fitness((1,) * 18)
    stats_1 = _bn_stats(fitness._state["net"])
    fitness((8,) * 18)
    stats_8 = _bn_stats(fitness._state["net"])
    assert not torch.equal(stats_1[-1][0], stats_8[-1][0])


def test_fitness_refuses_data_split_another_way(checkpoint):
    with pytest.raises(
        CheckpointError, match=r"split_seed=0, but the search data has split_seed=1"
    ):
        SupernetFitness(checkpoint, split_seed=1, recal_images=8)((4,) * 18)


def test_fitness_options_are_checked():
    with pytest.raises(ValueError, match="recal_images >= 1"):
        SupernetFitness("x.pt", recal_images=0)
