"""The weight-sharing supernet: genes, forward/backward, genome validation and export."""

from __future__ import annotations

import pytest
import torch

from binmobilenet.supernet import (
    BinMobileNet,
    SuperNet,
    build_model,
    scaled_blocks,
    search_space,
)
from evogroup import InvalidGenomeError, divisors
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import SharedConv2d, block_diagonal

MODULES = ("M1", "M2", "M3")


@pytest.mark.parametrize(("module", "genes"), [("M1", 13), ("M2", 18), ("M3", 13)])
def test_space_has_one_gene_per_searched_conv_in_block_order(module: str, genes: int):
    space = search_space(module)
    assert len(space) == genes
    assert space.names[:2] == (
        "block1.conv3x3",
        "block1.pw_real" if module == "M2" else "block2.conv3x3",
    )
    assert space.layers[-1].name == "block13.conv3x3"
    assert space.layers[-1].choices == divisors(1024)


def test_m2_real_pointwise_genes_are_the_blocks_that_change_channels():
    real = [n for n in search_space("M2").names if n.endswith("pw_real")]
    assert real == [f"block{i}.pw_real" for i in (1, 2, 4, 6, 12)]


def test_width_mult_keeps_channels_multiples_of_8_and_their_ratios():
    blocks = scaled_blocks(0.25)
    assert blocks[0] == (8, 16, 1) and blocks[-1] == (256, 256, 1)
    assert all(c % 8 == 0 for cin, cout, _ in scaled_blocks(0.6) for c in (cin, cout))
    with pytest.raises(ValueError, match="width_mult > 0"):
        scaled_blocks(0)


def test_unknown_module_names_the_allowed_ones():
    with pytest.raises(ValueError, match="module must be one of M1, M2, M3, but got 'M4'"):
        SuperNet("M4")


def test_block_diagonal_picks_output_block_j_from_input_block_j():
    w = torch.arange(4 * 6 * 1 * 1.0).view(4, 6, 1, 1)
    sliced = block_diagonal(w, 2)
    assert sliced.shape == (4, 3, 1, 1)
    torch.testing.assert_close(sliced[:2], w[:2, :3])
    torch.testing.assert_close(sliced[2:], w[2:, 3:])


def _block_mask(shape: torch.Size, groups: int) -> torch.Tensor:
    cout, cin = shape[:2]
    mask = torch.zeros(shape, dtype=torch.bool)
    for j in range(groups):
        mask[
            j * cout // groups : (j + 1) * cout // groups,
            j * cin // groups : (j + 1) * cin // groups,
        ] = True
    return mask


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("seed", [0, 1])
def test_forward_backward_reaches_exactly_the_weights_the_genome_uses(
    small_nets, random_genome, module, seed
):
    net = small_nets[module].train()
    genome = random_genome(net, seed)
    net.zero_grad(set_to_none=True)
    out = net(torch.randn(4, 3, 32, 32), genome)
    assert out.shape == (4, 10)
    out.square().mean().backward()
    for name, g in zip(net.space.names, genome):
        grad = net.get_submodule(net.gene_path(name)).weight.grad
        mask = _block_mask(grad.shape, g)
        assert torch.isfinite(grad).all(), name
        assert grad[mask].abs().sum() > 0, f"{name} (groups={g}) got no gradient"
        assert not grad[~mask].any(), f"{name} (groups={g}) has gradient outside its blocks"


def test_set_genome_then_forward_equals_forward_with_genome(small_nets, random_genome):
    net = small_nets["M2"].eval()
    genome, x = random_genome(net, 3), torch.randn(2, 3, 40, 40)
    net.set_genome(genome)
    assert net.genome == genome
    torch.testing.assert_close(net(x), net(x, genome))


@pytest.mark.parametrize("size", [(32, 32), (33, 47), (64, 48)])
def test_any_input_size_from_32(small_nets, size):
    net = small_nets["M3"].eval()
    assert net(torch.randn(1, 3, *size), net.space.uniform(2)).shape == (1, 10)


def test_invalid_genomes_name_the_layer_value_and_choices(small_nets):
    net = small_nets["M2"]
    with pytest.raises(InvalidGenomeError, match="one group count per layer \\(18\\), but got 13"):
        net.set_genome((1,) * 13)
    bad = list(net.space.uniform(1))
    bad[2] = 3
    with pytest.raises(
        InvalidGenomeError, match="'block2.conv3x3' cannot have 3 groups; allowed: 1, 2, 4, 8, 16"
    ):
        net(torch.randn(1, 3, 32, 32), bad)
    with pytest.raises(InvalidGenomeError, match="block1.conv3x3"):
        net.export((0.5,) + tuple(bad[1:]))


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("seed", [0, 5])
def test_export_matches_the_supernet_in_eval_mode(small_nets, random_genome, module, seed):
    net = small_nets[module]
    genome = random_genome(net, seed)
    net.train()
    with torch.no_grad():  # give BatchNorm non-trivial running statistics
        for _ in range(2):
            net(torch.randn(8, 3, 32, 32), genome)
    static = net.eval().export(genome)
    assert not static.training
    assert not any(isinstance(m, SharedConv2d) for m in static.modules())
    for name, g in zip(net.space.names, genome):
        assert static.get_submodule(static.gene_path(name)).groups == g
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(static(x), net(x, genome), rtol=1e-5, atol=1e-5)


def test_export_is_a_plain_trainable_net_that_reloads_from_its_state_dict(
    small_nets, random_genome
):
    net = small_nets["M2"].eval()
    genome = random_genome(net, 7)
    static = net.export(genome)
    assert isinstance(static.get_submodule(static.gene_path("block1.conv3x3")), BinaryConv2d)
    assert type(static.get_submodule(static.gene_path("block1.pw_real"))) is torch.nn.Conv2d
    rebuilt = build_model(**static.config).eval()
    assert isinstance(rebuilt, BinMobileNet) and not isinstance(rebuilt, SuperNet)
    rebuilt.load_state_dict(static.state_dict())
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(rebuilt(x), static(x))
    static.train()
    static(x).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in static.parameters())


def test_config_records_the_architecture(small_nets):
    net = small_nets["M3"]
    assert net.config == {"module": "M3", "num_classes": 10, "width_mult": 0.25}
    assert isinstance(build_model(**net.config), SuperNet)
