"""The ``binmobilenet`` backend: binary MobileNetV1 (modules M1, M2, M3) for evogroup.

Everything a weight-sharing backend shares (data, training, fitness, FLOP tables) comes
from :class:`~evogroup.torch.weight_sharing.WeightSharingBackend`; this declares the
architecture's options and its networks. Loading it does not import torch.

Example:
    >>> from binmobilenet.backend import BinMobileNetBackend
    >>> backend = BinMobileNetBackend()
    >>> len(backend.space(backend.options(module="M2")))
    18
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evogroup import InfeasibleBudgetError, SearchSpace, option
from evogroup.torch.weight_sharing import TrainingOptions, WeightSharingBackend

MODULES = ("M1", "M2", "M3")  # binmobilenet.supernet.MODULES, without importing torch


def _supernet(**arch: Any):
    from binmobilenet.supernet import SuperNet

    return SuperNet(**arch)


def _network(genome: Any, **arch: Any):
    from binmobilenet.supernet import BinMobileNet

    return BinMobileNet(genome, **arch)


@dataclass(frozen=True)
class BinMobileNetOptions(TrainingOptions):
    module: str = option("M2", "network module of the paper (section 3.2.2)", choices=MODULES)
    width_mult: float = option(
        1.0, "channel width multiplier (channels stay multiples of 8)", low=0, low_open=True
    )


class BinMobileNetBackend(WeightSharingBackend):
    """Binary MobileNetV1 whose 3x3 (and, for M2, real 1x1) group counts are searched."""

    name = "binmobilenet"
    summary = "binary MobileNetV1 (paper modules M1/M2/M3), weight-sharing supernet, fvcore FLOPs"
    Options = BinMobileNetOptions
    supernet_class = staticmethod(_supernet)
    network_class = staticmethod(_network)

    def arch(self, opts: BinMobileNetOptions) -> dict[str, Any]:
        return {"module": opts.module, "width_mult": opts.width_mult}

    def arch_label(self, opts: BinMobileNetOptions) -> str:
        return "" if opts.width_mult == 1.0 else f", width {opts.width_mult:g}"

    def space(self, opts: BinMobileNetOptions | None = None) -> SearchSpace:
        from binmobilenet.supernet import search_space

        o = self._opts(opts)
        return search_space(o.module, o.width_mult)

    def check_budget(self, budget: float, opts: BinMobileNetOptions | None = None) -> None:
        """Raise :class:`InfeasibleBudgetError` naming the module's minimum, its cheapest
        genome, and the modules whose minimum fits ``budget``."""
        o = self._opts(opts)
        table = self.cost(o)
        if table.min_cost <= budget:
            return
        fits = [m for m in MODULES if self.cost(o.replace(module=m)).min_cost <= budget]
        hint = f"modules that fit: {', '.join(fits)}" if fits else "no module fits this budget"
        raise InfeasibleBudgetError.below(
            budget, table.min_cost, table.min_genome(),
            what=f"module {o.module}'s minimum", hint=f"{self.cost_label(o)}; {hint}",
        )  # fmt: skip
