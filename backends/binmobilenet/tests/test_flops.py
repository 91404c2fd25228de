"""FLOP counting: Table 1 of the paper, table vs whole-model counts, the cache, the backend."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binmobilenet.backend import BinMobileNetBackend
from binmobilenet.supernet import SuperNet, search_space
from evogroup.core.errors import OptionError
from evogroup.torch.backend import flops
from evogroup.torch.backend.flops import count_flops


def cost_table(module="M2", **arch):
    """The backend's table, counted afresh (a new backend holds no in-memory tables)."""
    backend = BinMobileNetBackend()
    return backend.cost(backend.options(module=module, **arch))


# Paper, Table 1 (values printed truncated to two decimals), x 1e8 FLOPs.
TABLE_1 = {
    "M1": {1: 2.13, 4: 1.63, 16: 1.50},
    "M2": {1: 2.13, 4: 0.67, 16: 0.30},
    "M3": {1: 0.87, 4: 0.37, 16: 0.24},
}
CASES = [(m, g, v) for m, row in TABLE_1.items() for g, v in row.items()]
SMALL_ARCH = {"resolution": 64, "num_classes": 10, "width_mult": 0.25}


@pytest.mark.parametrize(("module", "groups", "expected"), CASES)
def test_table_1_flops_at_224(module: str, groups: int, expected: float):
    cost = cost_table(module)(search_space(module).uniform(groups))
    assert abs(cost - expected * 1e8) < 0.01e8
    assert math.floor(cost / 1e6) == round(expected * 100)  # truncated as printed


@pytest.mark.parametrize(
    ("module", "constant", "per_g"),
    [("M1", 146.735e6, 66.834e6), ("M2", 18.285e6, 66.834e6), ("M3", 20.292e6, 66.834e6)],
)
def test_closed_forms_of_design_md(module: str, constant: float, per_g: float):
    table = cost_table(module)
    space = search_space(module)
    binary_3x3 = sum(
        table.breakdown(space.uniform(1))[i] for i, n in enumerate(space.names) if "conv3x3" in n
    )
    assert table.constant == pytest.approx(constant, abs=1e3)
    assert binary_3x3 == pytest.approx(per_g, abs=1e3)
    if module == "M2":
        real = sum(table.table[i][1] for i, n in enumerate(space.names) if "pw_real" in n)
        assert real == pytest.approx(128.451e6, abs=1e3)


@pytest.fixture(scope="module")
def small_tables() -> dict:
    return {m: cost_table(m, **SMALL_ARCH) for m in TABLE_1}


@pytest.mark.parametrize("module", sorted(TABLE_1))
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32))
def test_table_equals_whole_model_count_of_the_export(
    small_nets, random_genome, small_tables, module, seed
):
    net = small_nets[module]
    genome = random_genome(net, seed)
    report = count_flops(net.export(genome), SMALL_ARCH["resolution"])
    assert report.flops == pytest.approx(small_tables[module](genome), rel=1e-12)
    assert report.flops == report.binary_macs / 64 + report.real_macs


def test_supernet_is_counted_at_its_genome_not_at_one_group(small_nets):
    net = small_nets["M2"]
    genome = net.space.uniform(4)
    net.set_genome(genome)
    supernet_count = count_flops(net, 64)
    assert supernet_count.flops == pytest.approx(count_flops(net.export(genome), 64).flops)
    assert supernet_count.per_layer["features.block13.conv3x3.conv"].binary


def test_count_leaves_batchnorm_statistics_and_mode_alone(small_nets):
    net = small_nets["M1"].train()
    before = net.stem[1].running_mean.clone()
    count_flops(net, 32)
    assert net.training
    torch.testing.assert_close(net.stem[1].running_mean, before)


def test_cache_is_read_back_and_a_corrupt_file_is_recomputed(flop_cache, monkeypatch):
    first = cost_table("M3", **SMALL_ARCH)
    (path,) = [
        p
        for p in flop_cache.glob("binmobilenet-r64-*.json")
        if json.loads(p.read_text())["key"]["module"] == "M3"
    ]
    assert json.loads(path.read_text())["key"]["width_mult"] == 0.25

    def fail(*args, **kwargs):
        raise AssertionError("the cached table should have been used")

    monkeypatch.setattr(flops, "build_cost_table", fail)
    assert cost_table("M3", **SMALL_ARCH) == first
    monkeypatch.undo()
    path.write_text("{not json")
    assert cost_table("M3", **SMALL_ARCH) == first
    assert json.loads(path.read_text())["cost"] == first.to_json()


def test_bad_arguments_say_what_must_hold():
    with pytest.raises(OptionError, match="resolution >= 32 must hold, but got resolution=16"):
        cost_table("M1", resolution=16)
    with pytest.raises(OptionError, match="module must be one of M1, M2, M3"):
        cost_table("m2")


def test_supernet_and_report_agree_at_reference_size_for_one_genome():
    net = SuperNet("M3", num_classes=1000).eval()
    genome = net.space.uniform(8)
    assert count_flops(net.export(genome), 224).flops == pytest.approx(cost_table("M3")(genome))
