"""The FLOP steps of a weight-sharing backend: the additive FLOP table of its search space
(fvcore, cached on disk and keyed by the model's fingerprint), its label, and a genome's
whole-model count (:mod:`evogroup.torch.backend.flops`)."""

from __future__ import annotations

from typing import Any

from evogroup.backend.options import BackendOptions
from evogroup.core.cost import CostTable
from evogroup.core.space import Genome
from evogroup.torch.backend.latency_steps import flop_classes as _flop_classes


class FlopSteps:
    """:meth:`~evogroup.Backend.cost`, :meth:`~evogroup.Backend.cost_label` and
    :meth:`~evogroup.Backend.cost_report` for a weight-sharing backend (``network_class``,
    ``arch``, ``space``)."""

    def arch_label(self, opts: Any) -> str:
        """Extra words for :meth:`cost_label`: the width when it is not 1."""
        width = getattr(opts, "width_mult", 1.0)
        return "" if width == 1.0 else f", width {width:g}"

    def cost(self, opts: BackendOptions | None = None) -> CostTable:
        """The FLOP table at ``resolution`` with ``num_classes`` (default 1000) classes,
        counted once per architecture (then cached on disk and on this backend)."""
        from evogroup.torch.backend.flops import cost_table

        o = self._opts(opts)
        arch, classes = self.arch(o), _flop_classes(o)
        key = (tuple(sorted(arch.items())), o.resolution, classes)
        tables = self.__dict__.setdefault("_tables", {})
        if key not in tables:
            space = self.space(o)

            def build():
                return self.network_class(space.uniform(2**62), num_classes=classes, **arch)

            ident = {"backend": self.name, **arch, "num_classes": classes}
            tables[key] = cost_table(
                ident, space, build, o.resolution, sources=self.model_sources(o)
            )
        return tables[key]

    def model_sources(self, opts: Any) -> tuple[Any, ...]:
        """Code defining the network beyond its classes (a factory): keys the FLOP table too."""
        return ()

    def cost_label(self, opts: BackendOptions | None = None) -> str:
        o = self._opts(opts)
        return (
            f"FLOPs (binary MACs/64 + real MACs) at {o.resolution}x{o.resolution},"
            f" {_flop_classes(o)} classes{self.arch_label(o)}"
        )

    def cost_report(self, genome: Genome, opts: BackendOptions | None = None) -> dict[str, Any]:
        """The base report plus ``flops``, ``binary_macs``, ``real_macs`` (a whole-model
        fvcore count of the static net) and each searched layer's binary/real MACs."""
        from evogroup.torch.backend.flops import count_flops

        o = self._opts(opts)
        report = super().cost_report(genome, o)
        net = self.network_class(
            tuple(report["genome"]), num_classes=_flop_classes(o), **self.arch(o)
        )
        counted = count_flops(net, o.resolution)
        report.update(
            flops=counted.flops, binary_macs=counted.binary_macs, real_macs=counted.real_macs
        )
        for layer in report["layers"]:
            macs = counted.per_layer[net.gene_path(layer["name"])]
            layer["binary"] = macs.binary
            layer["binary_macs" if macs.binary else "real_macs"] = macs.macs
        return report
