"""Fitness: BatchNorm recalibration and the supernet's search-val accuracy of a genome."""

from __future__ import annotations

import pickle

import pytest
import torch
from binmobilenet import SuperNet

from evogroup.core.errors import CheckpointError
from evogroup.rundir.layout import RunLayout
from evogroup.torch.backend.weight_sharing import check_supernet
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.supernet_fitness import SupernetFitness, recalibrate_bn
from evogroup.torch.nn.weights import load_checkpoint, supernet_kind
from evogroup.torch.options.recipe import TrainConfig
from evogroup.torch.train.trainer import seeded, train_supernet

ARCH = {"module": "M2", "num_classes": 10, "width_mult": 0.25}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A width-0.25 supernet trained one epoch on the full digits data (10 steps)."""
    with seeded(0):
        net = SuperNet(**ARCH)
    data = load_data()
    meta = {"arch": ARCH, "image_size": 32, "data": data.describe()}
    out = RunLayout(tmp_path_factory.mktemp("fitness"))
    return train_supernet(
        net,
        data,
        TrainConfig(1, 128, 1e-3, 0),
        out,
        kind=supernet_kind("binmobilenet"),
        meta=meta,
        runtime=Runtime.resolve("cpu"),
        progress=False,
    )


def fitness_of(checkpoint, **kwargs):
    return SupernetFitness(checkpoint, "binmobilenet", SuperNet, "digits", 0, **kwargs)


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
    net.set_genome(net.space.uniform(2))
    recalibrate_bn(net, batches)
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
    fitness = fitness_of(checkpoint, recal_images=128, batch_size=64, data=load_data())
    genome = (4,) * 18
    first = fitness(genome)
    assert 0.0 <= first <= 100.0
    assert fitness(genome) == first
    shipped = pickle.loads(pickle.dumps(fitness))
    assert shipped._state is None and shipped._data is None  # loads lazily in the worker
    assert shipped(genome) == first
    assert fitness.describe()["recal_images"] == 128


def test_fitness_recalibrates_for_each_genome(checkpoint):
    fitness = fitness_of(checkpoint, recal_images=64, batch_size=64)
    fitness((1,) * 18)
    stats_1 = _bn_stats(fitness._state["net"])
    fitness((8,) * 18)
    stats_8 = _bn_stats(fitness._state["net"])
    assert not torch.equal(stats_1[-1][0], stats_8[-1][0])


def test_a_supernet_of_other_data_or_architecture_is_refused(checkpoint):
    meta = load_checkpoint(checkpoint, supernet_kind("binmobilenet"))["meta"]
    other_split = {**load_data(seed=1).describe()}
    with pytest.raises(CheckpointError, match=r"trained with split_seed=0, but split_seed=1 is"):
        check_supernet(checkpoint, meta, ARCH, other_split)
    with pytest.raises(CheckpointError, match=r"trained with module='M2', but module='M3' is"):
        check_supernet(checkpoint, meta, {**ARCH, "module": "M3"}, meta["data"])
    check_supernet(checkpoint, meta, ARCH, meta["data"])


def test_fitness_options_are_checked():
    with pytest.raises(ValueError, match="recal_images >= 1"):
        fitness_of("x.pt", recal_images=0)
