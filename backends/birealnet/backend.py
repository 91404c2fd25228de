"""The ``birealnet`` backend: Bi-Real Net ResNet-18 with searchable group counts.

Everything a weight-sharing backend shares (data, training, fitness, FLOP tables) comes
from :class:`~evogroup.torch.weight_sharing.WeightSharingBackend`; this declares the
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
from typing import Any

from evogroup import InfeasibleBudgetError, SearchSpace, option
from evogroup.core.units import format_flops
from evogroup.torch.weight_sharing import TrainingOptions, WeightSharingBackend


def _supernet(**arch: Any):
    from birealnet.supernet import SuperNet

    return SuperNet(**arch)


def _network(genome: Any, **arch: Any):
    from birealnet.supernet import BiRealNet

    return BiRealNet(genome, **arch)


@dataclass(frozen=True)
class BiRealNetOptions(TrainingOptions):
    width_mult: float = option(
        1.0, "channel width multiplier (channels stay multiples of 8)", low=0, low_open=True
    )


class BiRealNetBackend(WeightSharingBackend):
    """Bi-Real Net ResNet-18 whose 16 binary 3x3 convs' group counts are searched."""

    name = "birealnet"
    summary = "Bi-Real Net ResNet-18 (16 binary 3x3 convs), weight-sharing supernet, fvcore FLOPs"
    Options = BiRealNetOptions
    supernet_class = staticmethod(_supernet)
    network_class = staticmethod(_network)

    def arch(self, opts: BiRealNetOptions) -> dict[str, Any]:
        return {"width_mult": opts.width_mult}

    def arch_label(self, opts: BiRealNetOptions) -> str:
        return "" if opts.width_mult == 1.0 else f", width {opts.width_mult:g}"

    def space(self, opts: BiRealNetOptions | None = None) -> SearchSpace:
        from birealnet.supernet import search_space

        return search_space(self._opts(opts).width_mult)

    def check_budget(self, budget: float, opts: BiRealNetOptions | None = None) -> None:
        """Raise :class:`InfeasibleBudgetError` naming the minimum, its genome, and the
        floor no group count moves: the real stem, shortcuts and classifier."""
        o = self._opts(opts)
        table = self.cost(o)
        if table.min_cost <= budget:
            return
        raise InfeasibleBudgetError.below(
            budget, table.min_cost, table.min_genome(),
            hint=f"{self.cost_label(o)}; the real stem, downsampling shortcuts and classifier"
                 f" alone cost {format_flops(table.constant)}",
        )  # fmt: skip
