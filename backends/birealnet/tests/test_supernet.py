"""The Bi-Real Net supernet: genes, shapes, gradients, export, and the backend's space."""

from __future__ import annotations

import pytest
import torch

from birealnet.backend import BiRealNetBackend
from birealnet.supernet import BiRealNet, SuperNet, scaled_blocks, search_space
from evogroup import divisors
from evogroup.testing import SupernetContract
from evogroup.torch.nn.binary import BinaryConv2d


def test_sixteen_genes_in_stage_block_conv_order_with_gcd_divisors():
    space = search_space()
    names = [f"stage{s}.block{b}.conv{c}" for s in range(1, 5) for b in (1, 2) for c in (1, 2)]
    assert list(space.names) == names
    channels = {1: 64, 2: 128, 3: 256, 4: 512}
    for layer in space.layers:
        s = int(layer.name[5])
        first_of_stage = layer.name.endswith("block1.conv1") and s > 1
        assert layer.choices == divisors(channels[s - 1] if first_of_stage else channels[s])


def test_width_mult_scales_channels_in_multiples_of_8():
    assert [c for _, _, c, _ in scaled_blocks(0.25)][::2] == [16, 32, 64, 128]
    assert [s for _, _, _, s in scaled_blocks()] == [1, 1, 2, 1, 2, 1, 2, 1]
    assert all(c % 8 == 0 for _, cin, cout, _ in scaled_blocks(0.3) for c in (cin, cout))
    assert scaled_blocks(0.01)[0][1] == 8
    with pytest.raises(ValueError, match="width_mult > 0 must hold, but got width_mult=-1"):
        SuperNet(width_mult=-1)


def test_downsampling_shortcut_is_avgpool_real_1x1_bn(small_net):
    block = small_net.features.stage2.block1
    pool, conv, bn = block.conv1.shortcut
    assert isinstance(pool, torch.nn.AvgPool2d) and isinstance(bn, torch.nn.BatchNorm2d)
    assert type(conv) is torch.nn.Conv2d and conv.kernel_size == (1, 1)
    assert isinstance(block.conv2.shortcut, torch.nn.Identity)
    assert isinstance(small_net.features.stage1.block1.conv1.shortcut, torch.nn.Identity)


class TestSupernet(SupernetContract):
    """Forward, gradient masks and export of the supernet (evogroup's contract)."""

    backend_name = "birealnet"

    @pytest.fixture
    def supernet(self, small_net) -> SuperNet:
        return small_net


def test_the_export_is_a_bireal_net_of_binary_convs(small_net, random_genome):
    static = small_net.eval().export(random_genome(small_net, 9))
    assert type(static) is BiRealNet
    for name in small_net.space.names:
        assert isinstance(static.get_submodule(static.gene_path(name)), BinaryConv2d), name
    assert small_net.arch == small_net.config == {"num_classes": 10, "width_mult": 0.25}


def test_space_spans_budgets_from_1_38e8_to_1_64e8():
    backend = BiRealNetBackend()
    table = backend.cost()
    assert table.min_cost == pytest.approx(1.38e8, abs=0.005e8)
    assert table.max_cost == pytest.approx(1.64e8, abs=0.005e8)
    backend.check_budget(1.4e8)
