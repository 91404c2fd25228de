r"""Binary MobileNetV1 with searchable group counts: the weight-sharing supernet and its static nets.

Every block is a binary 3x3 group conv ``C_in -> C_in`` (the stride sits on it) and a
pointwise part that depends on the module (M1, M2, M3; the paper's section 3.2.2).
Each conv is followed by BatchNorm; an identity shortcut (``AvgPool2d(2)`` when strided)
goes around every binary conv whose input and output shapes allow it.

Weight sharing (section 3.2.3) is :mod:`evogroup.torch.nn.shared`'s block-diagonal slicing.

Genes, in order: for each block ``block1`` ... ``block13``, its ``conv3x3``, then (M2 only,
in the five blocks with ``C_in != C_out``) its ``pw_real``. The gene ``blockN.X`` is the
module ``features.blockN.X.conv``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from evogroup import Layer, SearchSpace
from evogroup.core.errors import InvalidValueError
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.protocol import StemFeaturesClassifier
from evogroup.torch.nn.shared import SharedSupernet, searchable_conv

MODULES = ("M1", "M2", "M3")

# MobileNetV1 at width 1.0, after the stem (3 -> 32, 3x3, stride 2).
# C_in, C_out, stride of the 3x3 conv
BLOCKS: tuple[tuple[int, int, int], ...] = (
    (32, 64, 1),
    (64, 128, 2),
    (128, 128, 1),
    (128, 256, 2),
    (256, 256, 1),
    (256, 512, 2),
    (512, 512, 1),
    (512, 512, 1),
    (512, 512, 1),
    (512, 512, 1),
    (512, 512, 1),
    (512, 1024, 2),
    (1024, 1024, 1),
)
STEM_CHANNELS = 32


def check_module(module: str) -> str:
    """Return ``module`` or raise ``ValueError`` naming the allowed modules."""
    if module not in MODULES:
        raise InvalidValueError(f"module must be one of {', '.join(MODULES)}, but got {module!r}")
    return module


def base_width(width_mult: float) -> int:
    r"""The stem's channels at ``width_mult``: :math:`\max(8, 8\,\mathrm{round}(32 w / 8))`.

    Every other channel count is a multiple of 32 at width 1.0 and is scaled by the same
    factor (``c // 32 * base_width``), so all channels are multiples of 8 and the ratios of
    the architecture (``C_out = 2 C_in`` where channels double) survive any width.
    """
    if not isinstance(width_mult, int | float) or not math.isfinite(width_mult) or width_mult <= 0:
        raise InvalidValueError(f"width_mult > 0 must hold, but got width_mult={width_mult!r}")
    return max(8, 8 * round(STEM_CHANNELS * width_mult / 8))


def scaled_blocks(width_mult: float = 1.0) -> tuple[tuple[int, int, int], ...]:
    """:data:`BLOCKS` with channels scaled by ``width_mult`` (see :func:`base_width`)."""
    base = base_width(width_mult)
    return tuple((cin // 32 * base, cout // 32 * base, s) for cin, cout, s in BLOCKS)


def search_space(module: str = "M2", width_mult: float = 1.0) -> SearchSpace:
    """The genes of ``module``: each block's binary 3x3 conv (choices: divisors of ``C_in``)
    and, for M2, the real 1x1 of each block with ``C_in != C_out`` (divisors of the gcd).

    Example:
        >>> space = search_space("M2")
        >>> len(space), space.names[:3]
        (18, ('block1.conv3x3', 'block1.pw_real', 'block2.conv3x3'))
    """
    check_module(module)
    layers = []
    for i, (cin, cout, _) in enumerate(scaled_blocks(width_mult), 1):
        layers.append(Layer.from_channels(f"block{i}.conv3x3", cin))
        if module == "M2" and cin != cout:
            layers.append(Layer.from_channels(f"block{i}.pw_real", cin, cout))
    return SearchSpace(tuple(layers))


class ConvBN(nn.Module):
    """``conv -> BatchNorm``, plus ``shortcut(x)`` when a shortcut is given."""

    def __init__(self, conv: nn.Module, channels: int, shortcut: nn.Module | None = None):
        super().__init__()
        self.conv, self.bn, self.shortcut = conv, nn.BatchNorm2d(channels), shortcut

    def forward(self, x: Tensor) -> Tensor:
        y = self.bn(self.conv(x))
        return y if self.shortcut is None else y + self.shortcut(x)


class SplitPointwise(nn.Module):
    """M3's pointwise part: two binary 1x1 convs ``C_in -> C_out/2``, outputs concatenated.

    Where ``C_out = 2 C_in`` each branch is ``C_in -> C_in`` with its own identity shortcut
    (ReActNet's reduction block); where ``C_in = C_out`` the concatenation gets one.
    """

    def __init__(self, cin: int, cout: int):
        super().__init__()
        half = cout // 2
        self.a = ConvBN(BinaryConv2d(cin, half, 1, bias=False), half, _identity(cin == half))
        self.b = ConvBN(BinaryConv2d(cin, half, 1, bias=False), half, _identity(cin == half))
        self.shortcut = _identity(cin == cout)

    def forward(self, x: Tensor) -> Tensor:
        y = torch.cat((self.a(x), self.b(x)), dim=1)
        return y if self.shortcut is None else y + x


def _identity(allowed: bool) -> nn.Module | None:
    return nn.Identity() if allowed else None


def make_block(
    cin: int, cout: int, stride: int, module: str, groups: Mapping[str, int | None]
) -> nn.Sequential:
    """One block as an ``nn.Sequential`` of ``conv3x3`` and ``pw`` / ``pw_real`` / ``pw_split``.

    ``groups`` maps ``"conv3x3"`` (and ``"pw_real"`` for M2) to a group count, or to None
    for a shared (searchable) conv.
    """
    pool = nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
    parts: list[tuple[str, nn.Module]] = [
        (
            "conv3x3",
            ConvBN(searchable_conv(cin, cin, 3, stride, True, groups["conv3x3"]), cin, pool),
        )
    ]
    if module == "M3":
        parts.append(("pw_split", SplitPointwise(cin, cout)))
    elif cin == cout:
        parts.append(("pw", ConvBN(BinaryConv2d(cin, cout, 1, bias=False), cout, nn.Identity())))
    else:
        g = groups["pw_real"] if module == "M2" else 1
        parts.append(("pw_real", ConvBN(searchable_conv(cin, cout, 1, 1, False, g), cout)))
    return nn.Sequential(OrderedDict(parts))


class BinMobileNet(StemFeaturesClassifier):
    """A binary MobileNetV1 of module ``module`` with fixed group counts ``genome``.

    The stem (real 3x3/2 conv, BN, PReLU) and the classifier (global average pool, real
    ``Linear``) are full precision. PReLU keeps the sign of the stem's output, which the
    first binary conv reads (a ReLU would make that input constant ``+1``).

    Example:
        >>> net = BinMobileNet((8,) * 13, module="M3", num_classes=10, width_mult=0.25)
        >>> net(torch.randn(2, 3, 32, 32)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        genome: Iterable[int] | None,
        module: str = "M2",
        num_classes: int = 1000,
        width_mult: float = 1.0,
    ):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise InvalidValueError(
                f"num_classes >= 1 must hold, but got num_classes={num_classes!r}"
            )
        self.module_name, self.num_classes, self.width_mult = module, num_classes, width_mult
        self.space = search_space(module, width_mult)
        self.genome = None if genome is None else self.space.validate(genome)
        genes = dict(zip(self.space.names, self.genome or (None,) * len(self.space)))
        base = base_width(width_mult)
        self.stem = nn.Sequential(
            nn.Conv2d(3, base, 3, 2, 1, bias=False), nn.BatchNorm2d(base), nn.PReLU(base)
        )
        blocks = []
        for i, (cin, cout, stride) in enumerate(scaled_blocks(width_mult), 1):
            groups = {
                "conv3x3": genes[f"block{i}.conv3x3"],
                "pw_real": genes.get(f"block{i}.pw_real"),
            }
            blocks.append((f"block{i}", make_block(cin, cout, stride, module, groups)))
        self.features = nn.Sequential(OrderedDict(blocks))
        self.classifier = nn.Linear(scaled_blocks(width_mult)[-1][1], num_classes)

    @property
    def arch(self) -> dict[str, Any]:
        """The architecture, for checkpoints: module, num_classes, width_mult."""
        return {
            "module": self.module_name,
            "num_classes": self.num_classes,
            "width_mult": self.width_mult,
        }


class SuperNet(SharedSupernet, BinMobileNet):
    """The weight-sharing supernet of ``module``: one full weight per searchable conv.

    ``kernel`` picks how the searchable convs compute (the same function either way, see
    :mod:`evogroup.torch.nn.masked`): ``"grouped"`` slices the weight for ``F.conv2d(groups=g)``
    (fast on a CPU); ``"masked"`` is a dense conv over a block-diagonal masked weight, one
    shape for every genome (fast on a GPU). It is not part of :attr:`arch`.

    Example:
        >>> net = SuperNet("M2", num_classes=10, width_mult=0.25)
        >>> genome = net.space.uniform(4)
        >>> net(torch.randn(2, 3, 32, 32), genome).shape
        torch.Size([2, 10])
        >>> static = net.export(genome)  # plain nn.Conv2d(groups=g), same outputs in eval mode
    """

    static_class = BinMobileNet

    def __init__(
        self,
        module: str = "M2",
        num_classes: int = 1000,
        width_mult: float = 1.0,
        kernel: str = "grouped",
    ):
        super().__init__(None, check_module(module), num_classes, width_mult)
        self._bind_genes(kernel)


def build_model(
    module: str = "M2",
    genome: Iterable[int] | None = None,
    num_classes: int = 1000,
    width_mult: float = 1.0,
    kernel: str = "grouped",
) -> BinMobileNet:
    """The supernet of ``module`` when ``genome`` is None (its convs computed by ``kernel``),
    else its static net (e.g. from a saved model's metadata:
    ``build_model(genome=meta["genome"], **meta["arch"])``)."""
    if genome is None:
        return SuperNet(module, num_classes, width_mult, kernel)
    return BinMobileNet(genome, check_module(module), num_classes, width_mult)
