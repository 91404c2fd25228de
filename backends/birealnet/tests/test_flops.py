"""FLOPs of Bi-Real Net ResNet-18: the published 1.63e8, table vs whole-model counts, the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from birealnet.backend import BiRealNetBackend
from evogroup.torch.backend.flops import count_flops

# At 224x224 and 1000 classes (DESIGN.md): binary MACs 1.676e9 / 64 + real MACs 137.8M.
STEM, SHORTCUT, FC = 118_013_952, 6_422_528, 512_000  # real MACs: 7x7/2 conv, each 1x1, Linear
BINARY_MACS = 1_676_279_808
GROUPS_1 = BINARY_MACS / 64 + STEM + 3 * SHORTCUT + FC  # 163.99M, printed 1.63e8
SMALL = {"width_mult": 0.25, "resolution": 64, "num_classes": 10}


@pytest.fixture(scope="module")
def backend() -> BiRealNetBackend:
    return BiRealNetBackend()


def test_groups_1_is_the_published_1_63e8(backend):
    opts = backend.options()
    cost = backend.cost(opts)(backend.space(opts).uniform(1))
    assert cost == pytest.approx(163.99e6, abs=0.01e6)
    assert cost == GROUPS_1
    assert math.floor(cost / 1e6) == 163  # printed truncated: 1.63e8


def test_whole_model_count_splits_into_stem_shortcuts_fc_and_binary_convs(backend):
    report = backend.cost_report(backend.space().uniform(1))
    assert report["binary_macs"] == BINARY_MACS
    assert report["real_macs"] == STEM + 3 * SHORTCUT + FC
    assert report["constant"] == STEM + 3 * SHORTCUT + FC  # pools, BN, adds, sign count zero
    assert report["flops"] == pytest.approx(report["cost"], rel=1e-12)


def test_min_cost_has_every_gene_at_its_largest_group_count(backend):
    table, space = backend.cost(), backend.space()
    assert table.min_genome() == tuple(layer.choices[-1] for layer in space.layers)
    assert table.min_cost == pytest.approx(1.38e8, abs=0.005e8)
    assert table.max_cost == pytest.approx(GROUPS_1)


def test_pooling_is_not_counted_by_fvcore():
    pools = torch.nn.Sequential(torch.nn.MaxPool2d(3, 2, 1), torch.nn.AvgPool2d(2))
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 1, bias=False), pools)
    assert count_flops(conv, 32).flops == 3 * 8 * 32 * 32


@pytest.fixture(scope="module")
def small_table(backend):
    return backend.cost(backend.options(**SMALL))


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32))
def test_table_equals_the_whole_model_count_of_the_static_net(
    backend, small_net, random_genome, small_table, seed
):
    genome = random_genome(small_net, seed)
    opts = backend.options(**SMALL)
    report = backend.cost_report(genome, opts)
    assert report["flops"] == pytest.approx(small_table(genome), rel=1e-12)
    assert report["flops"] == report["binary_macs"] / 64 + report["real_macs"]
    exported = count_flops(small_net.export(genome), SMALL["resolution"])
    assert exported.flops == pytest.approx(small_table(genome), rel=1e-12)


def test_cli_flops_reports_1_6399e8():
    from evogroup.cli.main import main

    args = [
        "flops",
        "--backend",
        "birealnet",
        "--groups",
        "1",
        "--resolution",
        "224",
        "--num-classes",
        "1000",
        "--json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cost"] == pytest.approx(1.6399e8, abs=0.0001e8)
    assert report["genome"] == [1] * 16
