r"""Bi-Real Net ResNet-18 with searchable group counts: the weight-sharing supernet and its
static nets.

Bi-Real Net (Liu et al., ECCV 2018) gives every binary conv its own real identity
shortcut. With :math:`s` the sign of Bi-Real's approximate gradient
(:func:`~evogroup.torch.nn.binary.binarize_activation`) and :math:`W_b` the XNOR-scaled
binary weight (:func:`~evogroup.torch.nn.binary.binarize_weight`), each of the 16 binary
3x3 convs computes

.. math::

    y = \mathrm{BN}\big(W_b \circledast \operatorname{sign}(x)\big) + \mathrm{shortcut}(x),

where the shortcut is the identity, or ``AvgPool2d(2) -> real 1x1 conv -> BN`` for the
first conv of a downsampling block. Stem (7x7/2 conv, BN, 3x3/2 max-pool), shortcuts and
classifier are real.

Weight sharing is :mod:`evogroup.torch.nn.shared`'s block-diagonal slicing. Genes, in order:
``stage{s}.block{b}.conv{c}`` for s = 1..4, b = 1, 2, c = 1, 2; the gene's conv is the
module ``features.stage{s}.block{b}.conv{c}.conv``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from torch import Tensor, nn

from evogroup import Layer, SearchSpace
from evogroup.core.errors import InvalidValueError
from evogroup.torch.nn.protocol import StemFeaturesClassifier
from evogroup.torch.nn.shared import SharedSupernet, searchable_conv

# Bi-Real Net ResNet-18 at width 1.0, after the stem (3 -> 64, 7x7/2, BN, 3x3/2 max-pool).
# c: output channels, n: basic blocks (two binary 3x3 convs each), s: stride of the first block
STAGES: tuple[tuple[int, int, int], ...] = (
    # c, n, s
    (64, 2, 1),
    (128, 2, 2),
    (256, 2, 2),
    (512, 2, 2),
)
STEM_CHANNELS = 64


def base_width(width_mult: float) -> int:
    r"""The stem's channels at ``width_mult``: :math:`\max(8, 8\,\mathrm{round}(64 w / 8))`.

    Stage ``i`` has ``base_width * (1, 2, 4, 8)[i]`` channels, so all channels are
    multiples of 8 and double where the architecture doubles them.
    """
    if not isinstance(width_mult, int | float) or not math.isfinite(width_mult) or width_mult <= 0:
        raise InvalidValueError(f"width_mult > 0 must hold, but got width_mult={width_mult!r}")
    return max(8, 8 * round(STEM_CHANNELS * width_mult / 8))


def scaled_blocks(width_mult: float = 1.0) -> tuple[tuple[str, int, int, int], ...]:
    """Each basic block in order, channels scaled by ``width_mult`` (see :func:`base_width`):
    ``(name, C_in, C_out, stride)``; the block's ``conv1`` is ``C_in -> C_out`` with the
    stride, its ``conv2`` is ``C_out -> C_out``.

    Example:
        >>> scaled_blocks(0.25)[2]
        ('stage2.block1', 16, 32, 2)
    """
    base = base_width(width_mult)
    blocks, cin = [], base
    for s, (c, n, stride) in enumerate(STAGES, 1):
        cout = c // STEM_CHANNELS * base
        for b in range(1, n + 1):
            blocks.append((f"stage{s}.block{b}", cin, cout, stride if b == 1 else 1))
            cin = cout
    return tuple(blocks)


def search_space(width_mult: float = 1.0) -> SearchSpace:
    """The 16 genes: each binary 3x3 conv, its choices the divisors of ``gcd(C_in, C_out)``.

    Example:
        >>> space = search_space()
        >>> len(space), space.names[4], space.layers[4].choices[-1]
        (16, 'stage2.block1.conv1', 64)
    """
    layers = []
    for name, cin, cout, _ in scaled_blocks(width_mult):
        layers += [
            Layer.from_channels(f"{name}.conv1", cin, cout),
            Layer.from_channels(f"{name}.conv2", cout, cout),
        ]
    return SearchSpace(tuple(layers))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    """Identity, or ``AvgPool2d(stride) -> real 1x1 conv -> BN`` where the shape changes.

    ``ceil_mode`` matches the binary conv's ``ceil(H / 2)`` output on odd input sizes.
    """
    if stride == 1 and cin == cout:
        return nn.Identity()
    parts: list[nn.Module] = []
    if stride > 1:
        parts.append(nn.AvgPool2d(stride, ceil_mode=True, count_include_pad=False))
    if cin != cout:
        parts += [nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*parts)


class BinaryConvBN(nn.Module):
    """``BN(binary_conv(sign(x))) + shortcut(x)``: one Bi-Real unit.

    ``groups`` None makes the conv a :class:`~evogroup.torch.nn.shared.SharedConv2d`
    (supernet), else a static :class:`~evogroup.torch.nn.binary.BinaryConv2d` of that many
    groups; either binarizes its input itself.
    """

    def __init__(self, cin: int, cout: int, stride: int, groups: int | None):
        super().__init__()
        self.conv = searchable_conv(cin, cout, 3, stride, True, groups)
        self.bn = nn.BatchNorm2d(cout)
        self.shortcut = _shortcut(cin, cout, stride)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(self.conv(x)) + self.shortcut(x)


class BasicBlock(nn.Module):
    """A ResNet basic block as Bi-Real Net makes it: two :class:`BinaryConvBN` in a row,
    each with its own shortcut (the stride and the channel change sit on ``conv1``)."""

    def __init__(
        self, cin: int, cout: int, stride: int, groups: tuple[int | None, int | None]
    ) -> None:
        super().__init__()
        self.conv1 = BinaryConvBN(cin, cout, stride, groups[0])
        self.conv2 = BinaryConvBN(cout, cout, 1, groups[1])

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x))


class BiRealNet(StemFeaturesClassifier):
    """A Bi-Real Net ResNet-18 with fixed group counts ``genome`` (None: the supernet's
    shared convs, see :class:`SuperNet`).

    The stem (7x7/2 conv, BN, 3x3/2 max-pool) has no ReLU, as in Bi-Real Net: the first
    binary conv reads the sign of its output, which a ReLU would make constant ``+1``.

    Example:
        >>> net = BiRealNet((2,) * 16, num_classes=10, width_mult=0.25)
        >>> import torch
        >>> net(torch.randn(2, 3, 32, 32)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self, genome: Iterable[int] | None, num_classes: int = 1000, width_mult: float = 1.0
    ):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise InvalidValueError(
                f"num_classes >= 1 must hold, but got num_classes={num_classes!r}"
            )
        self.num_classes, self.width_mult = num_classes, width_mult
        self.space = search_space(width_mult)
        self.genome = None if genome is None else self.space.validate(genome)
        groups = iter(self.genome or (None,) * len(self.space))
        base = base_width(width_mult)
        self.stem = nn.Sequential(
            nn.Conv2d(3, base, 7, 2, 3, bias=False),
            nn.BatchNorm2d(base),
            nn.MaxPool2d(3, 2, 1),
        )
        stages: dict[str, OrderedDict[str, nn.Module]] = {}
        for name, cin, cout, stride in scaled_blocks(width_mult):
            stage, block = name.split(".")
            pair = (next(groups), next(groups))
            stages.setdefault(stage, OrderedDict())[block] = BasicBlock(cin, cout, stride, pair)
        self.features = nn.Sequential(
            OrderedDict((name, nn.Sequential(blocks)) for name, blocks in stages.items())
        )
        self.classifier = nn.Linear(STAGES[-1][0] // STEM_CHANNELS * base, num_classes)

    @property
    def arch(self) -> dict[str, Any]:
        """The architecture, for checkpoints: num_classes, width_mult."""
        return {"num_classes": self.num_classes, "width_mult": self.width_mult}


class SuperNet(SharedSupernet, BiRealNet):
    """The weight-sharing supernet: one full weight per binary 3x3 conv, computed by
    ``kernel`` (``"grouped"`` or ``"masked"``; see :mod:`evogroup.torch.nn.masked`; not part
    of :attr:`arch`).

    Example:
        >>> net = SuperNet(num_classes=10, width_mult=0.25)
        >>> genome = net.space.uniform(4)
        >>> import torch
        >>> net(torch.randn(2, 3, 32, 32), genome).shape
        torch.Size([2, 10])
        >>> static = net.export(genome)  # BinaryConv2d(groups=g), same outputs in eval mode
    """

    static_class = BiRealNet

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, kernel: str = "grouped"):
        super().__init__(None, num_classes, width_mult)
        self._bind_genes(kernel)


def build_model(
    genome: Iterable[int] | None = None,
    num_classes: int = 1000,
    width_mult: float = 1.0,
    kernel: str = "grouped",
) -> BiRealNet:
    """The supernet when ``genome`` is None (its convs computed by ``kernel``), else its
    static net (e.g. from a saved model's metadata:
    ``build_model(genome=meta["genome"], **meta["arch"])``)."""
    if genome is None:
        return SuperNet(num_classes, width_mult, kernel)
    return BiRealNet(genome, num_classes, width_mult)
