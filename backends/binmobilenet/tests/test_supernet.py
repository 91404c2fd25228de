"""The weight-sharing supernet: genes, forward/backward, genome validation and export."""

from __future__ import annotations

import pytest
import torch

from binmobilenet.supernet import BinMobileNet, SuperNet, build_model, scaled_blocks, search_space
from evogroup import InvalidGenomeError, divisors
from evogroup.testing import SupernetContract
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import block_diagonal

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


class TestSupernet(SupernetContract):
    """Forward, gradient masks and export of each module's supernet (evogroup's contract)."""

    backend_name = "binmobilenet"

    @pytest.fixture(params=MODULES)
    def supernet(self, request: pytest.FixtureRequest, small_nets) -> SuperNet:
        return small_nets[request.param]


def test_invalid_genes_name_the_allowed_choices(small_nets):
    bad = list(small_nets["M2"].space.uniform(1))
    bad[2] = 3
    with pytest.raises(
        InvalidGenomeError, match="'block2.conv3x3' cannot have 3 groups; allowed: 1, 2, 4, 8, 16"
    ):
        small_nets["M2"](torch.randn(1, 3, 32, 32), bad)


def test_export_keeps_the_m2_real_pointwise_real(small_nets, random_genome):
    net = small_nets["M2"].eval()
    static = net.export(random_genome(net, 7))
    assert type(static) is BinMobileNet
    assert isinstance(static.get_submodule(static.gene_path("block1.conv3x3")), BinaryConv2d)
    assert type(static.get_submodule(static.gene_path("block1.pw_real"))) is torch.nn.Conv2d


def test_config_records_the_architecture(small_nets):
    net = small_nets["M3"]
    assert net.config == {"module": "M3", "num_classes": 10, "width_mult": 0.25}
    assert isinstance(build_model(**net.config), SuperNet)
