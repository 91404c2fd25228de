"""The ``binmobilenet`` backend: binary MobileNetV1 (modules M1, M2, M3) for evogroup.

Everything a weight-sharing backend shares (data, training, fitness, FLOP tables) comes
from :class:`~evogroup.torch.backend.weight_sharing.WeightSharingBackend`; this declares the
architecture's options and its networks. Loading it does not import torch.

Example:
    >>> from binmobilenet.backend import BinMobileNetBackend
    >>> backend = BinMobileNetBackend()
    >>> len(backend.space(backend.options(module="M2")))
    18
"""

from __future__ import annotations

from dataclasses import dataclass

from evogroup import InfeasibleBudgetError, SearchSpace, option
from evogroup.torch.backend.weight_sharing import WeightSharingBackend, WidthOptions

MODULES = ("M1", "M2", "M3")  # binmobilenet.supernet.MODULES, without importing torch


@dataclass(frozen=True)
class BinMobileNetOptions(WidthOptions):
    module: str = option("M2", "network module of the paper (section 3.2.2)", choices=MODULES)


class BinMobileNetBackend(WeightSharingBackend):
    """Binary MobileNetV1 whose 3x3 (and, for M2, real 1x1) group counts are searched."""

    name = "binmobilenet"
    summary = "binary MobileNetV1 (paper modules M1/M2/M3), weight-sharing supernet, fvcore FLOPs"
    Options = BinMobileNetOptions
    arch_fields = ("module", "width_mult")
    supernet_class = "binmobilenet.supernet:SuperNet"
    network_class = "binmobilenet.supernet:BinMobileNet"

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
            budget,
            table.min_cost,
            table.min_genome(),
            what=f"module {o.module}'s minimum",
            hint=f"{self.cost_label(o)}; {hint}",
        )
