"""Module surgery: the conv policy, the genes, their one-line errors, binarization."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from anynet.surgery import (
    binarize_model,
    embed_block_diagonal,
    find_genes,
    real_convs,
    shared_from,
)
from anynet.tests.models import conv_classifier, tiny_net
from evogroup.core.errors import OptionError
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import block_diagonal


@pytest.mark.parametrize("groups", [1, 2, 4, 8])
def test_embedding_is_the_inverse_of_block_diagonal_slicing(groups):
    full, weight = torch.randn(8, 8, 3, 3), torch.randn(8, 8 // groups, 3, 3)
    embed_block_diagonal(full, weight, groups)
    assert torch.equal(block_diagonal(full, groups), weight)


def test_shared_conv_computes_the_conv_it_replaces_at_its_native_groups():
    conv = nn.Conv2d(8, 16, 3, 2, 1, groups=4, bias=False)
    shared = shared_from(conv, binary=False)
    shared.set_groups(4)
    x = torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(shared(x), conv(x))


def test_default_policy_makes_a_gene_of_every_grouped_conv_named_by_its_module():
    genes = find_genes(torchvision.models.resnext50_32x4d())
    assert len(genes.space) == 16 and genes.native == (32,) * 16
    assert genes.space.names[0] == "layer1.0.conv2"
    assert genes.space.layers[0].choices == (1, 2, 4, 8, 16, 32, 64, 128)  # gcd(128, 128)


def test_patterns_choose_the_convs_and_max_groups_clips_the_choices():
    genes = find_genes(tiny_net(), "[35],8", max_groups=4)
    assert genes.space.names == ("3", "5", "8")
    assert genes.native == (16, 1, 32)
    assert [lay.choices for lay in genes.space.layers] == [(1, 2, 4)] * 3


def test_a_model_without_grouped_convs_says_so_and_names_its_convs():
    with pytest.raises(
        OptionError,
        match=r"resnet18 has no searchable conv: none of its 20 convs"
        r" is grouped or depthwise; .*--convs PATTERN .*conv1, layer1\.0\.conv1",
    ):
        find_genes(torchvision.models.resnet18(), label="resnet18")


def test_a_conv_allowing_only_one_group_is_named():
    with pytest.raises(
        OptionError, match=r"gcd\(C_in, C_out\) = 1\) of features\.0\.0 allow only 1"
    ):
        find_genes(torchvision.models.mobilenet_v2(width_mult=0.25), "features.0.0,features.1.*")


def test_a_pattern_matching_nothing_and_an_unsupported_conv_are_refused():
    with pytest.raises(OptionError, match=r"'nope\*' matches none"):
        find_genes(tiny_net(), "nope*")
    dilated = nn.Sequential(nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False))
    with pytest.raises(OptionError, match=r"but got 0 \(padding \(2, 2\) \(zeros\)\)"):
        find_genes(dilated)


def test_binarize_keeps_the_stem_and_a_conv_classifier_real_and_relus_become_prelus():
    net = binarize_model(tiny_net())
    kinds = {name: type(m) for name, m in net.named_modules() if isinstance(m, nn.Conv2d)}
    assert kinds == {
        "0": nn.Conv2d,
        "3": BinaryConv2d,
        "5": BinaryConv2d,
        "8": BinaryConv2d,
        "10": BinaryConv2d,
    }
    assert not [m for m in net.modules() if type(m) in (nn.ReLU, nn.ReLU6)]  # PReLU instead
    x = torch.randn(2, 3, 16, 16)
    out = net.eval()(x)
    assert not torch.allclose(out[0], out[1]), "a binary net reading sign(ReLU) is constant"
    assert real_convs(conv_classifier()) == {"0", "4"}
    assert isinstance(binarize_model(conv_classifier())[2], BinaryConv2d)
