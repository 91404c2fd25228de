"""The ``birealnet`` backend: Bi-Real Net ResNet-18 with searchable group counts.

Everything a weight-sharing backend shares (data, training, fitness, FLOP tables) comes
from :class:`~evogroup.torch.backend.weight_sharing.WeightSharingBackend`; this declares the
architecture's options and its networks. Loading it does not import torch.

Example:
    >>> from birealnet.backend import BiRealNetBackend
    >>> backend = BiRealNetBackend()
    >>> space = backend.space(backend.options(width_mult=0.25))
    >>> len(space), space.names[0], space.layers[0].choices
    (16, 'stage1.block1.conv1', (1, 2, 4, 8, 16))
"""

from __future__ import annotations

from dataclasses import dataclass

from evogroup import SearchSpace
from evogroup.core.units import format_flops
from evogroup.torch.backend.weight_sharing import WeightSharingBackend, WidthOptions


@dataclass(frozen=True)
class BiRealNetOptions(WidthOptions):
    """The width of Bi-Real Net ResNet-18 and the options of every weight-sharing backend."""


class BiRealNetBackend(WeightSharingBackend):
    """Bi-Real Net ResNet-18 whose 16 binary 3x3 convs' group counts are searched."""

    name = "birealnet"
    summary = "Bi-Real Net ResNet-18 (16 binary 3x3 convs), weight-sharing supernet, fvcore FLOPs"
    Options = BiRealNetOptions
    arch_fields = ("width_mult",)
    supernet_class = "birealnet.supernet:SuperNet"
    network_class = "birealnet.supernet:BiRealNet"

    def space(self, opts: BiRealNetOptions | None = None) -> SearchSpace:
        from birealnet.supernet import search_space

        return search_space(self._opts(opts).width_mult)

    def budget_hint(self, budget: float, opts: BiRealNetOptions | None = None) -> str:
        """The floor no group count moves: the real stem, shortcuts and classifier."""
        o = self._opts(opts)
        return (
            f"{self.cost_label(o)}; the real stem, downsampling shortcuts and classifier"
            f" alone cost {format_flops(self.cost(o).constant)}"
        )
