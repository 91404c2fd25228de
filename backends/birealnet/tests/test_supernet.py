"""The Bi-Real Net supernet: genes, shapes, gradients, export, and the backend's space."""

from __future__ import annotations

import pytest
import torch

from birealnet.backend import BiRealNetBackend
from birealnet.supernet import BiRealNet, SuperNet, build_model, scaled_blocks, search_space
from evogroup import InvalidGenomeError, divisors
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.protocol import StaticNet, WeightSharingNet
from evogroup.torch.nn.shared import SharedConv2d


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


def test_supernet_and_static_net_satisfy_the_protocols(small_net):
    assert isinstance(small_net, WeightSharingNet)
    assert isinstance(small_net.export(small_net.space.uniform(2)), StaticNet)
    assert small_net.arch == small_net.config == {"num_classes": 10, "width_mult": 0.25}


def test_downsampling_shortcut_is_avgpool_real_1x1_bn(small_net):
    block = small_net.features.stage2.block1
    pool, conv, bn = block.conv1.shortcut
    assert isinstance(pool, torch.nn.AvgPool2d) and isinstance(bn, torch.nn.BatchNorm2d)
    assert type(conv) is torch.nn.Conv2d and conv.kernel_size == (1, 1)
    assert isinstance(block.conv2.shortcut, torch.nn.Identity)
    assert isinstance(small_net.features.stage1.block1.conv1.shortcut, torch.nn.Identity)


@pytest.mark.parametrize("size", [(32, 32), (33, 47), (64, 48)])
def test_output_shape_for_any_input_size(small_net, size):
    net = small_net.eval()
    assert net(torch.randn(2, 3, *size), net.space.uniform(2)).shape == (2, 10)


def _block_mask(shape: torch.Size, groups: int) -> torch.Tensor:
    cout, cin = shape[:2]
    mask = torch.zeros(shape, dtype=torch.bool)
    for j in range(groups):
        rows = slice(j * cout // groups, (j + 1) * cout // groups)
        mask[rows, j * cin // groups : (j + 1) * cin // groups] = True
    return mask


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_is_zero_off_the_block_diagonal(small_net, random_genome, seed):
    net = small_net.train()
    genome = random_genome(net, seed)
    net.zero_grad(set_to_none=True)
    net(torch.randn(4, 3, 32, 32), genome).square().mean().backward()
    for name, g in zip(net.space.names, genome):
        grad = net.get_submodule(net.gene_path(name)).weight.grad
        mask = _block_mask(grad.shape, g)
        assert torch.isfinite(grad).all(), name
        assert grad[mask].abs().sum() > 0, f"{name} (groups={g}) got no gradient"
        assert not grad[~mask].any(), f"{name} (groups={g}) has gradient outside its blocks"


@pytest.mark.parametrize("seed", [0, 5, 9])
def test_export_matches_the_supernet_in_eval_mode(small_net, random_genome, seed):
    net = small_net
    genome = random_genome(net, seed)
    net.train()
    with torch.no_grad():  # give BatchNorm non-trivial running statistics
        for _ in range(2):
            net(torch.randn(8, 3, 32, 32), genome)
    static = net.eval().export(genome)
    assert not static.training and type(static) is BiRealNet
    assert not any(isinstance(m, SharedConv2d) for m in static.modules())
    for name, g in zip(net.space.names, genome):
        conv = static.get_submodule(static.gene_path(name))
        assert isinstance(conv, BinaryConv2d) and conv.groups == g
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(static(x), net(x, genome), rtol=1e-5, atol=1e-5)


def test_export_reloads_from_its_config_and_trains(small_net, random_genome):
    static = small_net.eval().export(random_genome(small_net, 7))
    rebuilt = build_model(**static.config).eval()
    assert type(rebuilt) is BiRealNet
    rebuilt.load_state_dict(static.state_dict())
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(rebuilt(x), static(x))
    static.train()
    static(x).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in static.parameters())
    assert isinstance(build_model(**small_net.config), SuperNet)


def test_invalid_genomes_name_the_layer_value_and_choices(small_net):
    with pytest.raises(InvalidGenomeError, match="one group count per layer \\(16\\), but got 13"):
        small_net.set_genome((1,) * 13)
    bad = list(small_net.space.uniform(1))
    bad[4] = 3
    with pytest.raises(InvalidGenomeError, match="'stage2.block1.conv1' cannot have 3 groups"):
        small_net.export(bad)


def test_space_spans_budgets_from_1_38e8_to_1_64e8():
    backend = BiRealNetBackend()
    table = backend.cost()
    assert table.min_cost == pytest.approx(1.38e8, abs=0.005e8)
    assert table.max_cost == pytest.approx(1.64e8, abs=0.005e8)
    backend.check_budget(1.4e8)
