"""The latency steps of a weight-sharing backend: its static networks timed on a device
(:mod:`evogroup.torch.latency`), cached per device, torch version, threads, batch,
resolution and options."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from evogroup.core.latency import LatencySpec, LatencyTable
from evogroup.core.space import Genome

FLOP_CLASSES = 1000  # classes of the cost tables' networks when num_classes is not set (ImageNet)
MEASURE_REPEATS = 15  # ``evogroup latency --measure``: one genome, more repeats than the fit


def flop_classes(opts: Any) -> int:
    """The classes the FLOP and latency tables count the network with."""
    return FLOP_CLASSES if opts.num_classes is None else opts.num_classes


class LatencySteps:
    """:meth:`~evogroup.Backend.latency` and :meth:`~evogroup.Backend.measure_latency` for a
    weight-sharing backend (``network_class``, ``arch``, ``model_sources``, ``space``)."""

    def static_builder(self, opts: Any) -> Any:
        """Genome -> its static network as the cost tables count and time it."""
        classes = flop_classes(opts)
        return functools.partial(self.network_class, num_classes=classes, **self.arch(opts))

    def latency_ident(self, opts: Any) -> dict[str, Any]:
        """What keys the latency table besides the device: as the FLOP table's key, with the
        model's fingerprint (:func:`~evogroup.torch.nn.fingerprint.model_fingerprint`)."""
        from evogroup.torch.nn.fingerprint import model_fingerprint

        build = self.static_builder(opts)
        net = build(self.space(opts).uniform(2**62))
        fingerprint = model_fingerprint(net, self.model_sources(opts))
        return {"backend": self.name, **build.keywords, "model": fingerprint}

    def _latency_spec(self, spec: LatencySpec, o: Any) -> LatencySpec:
        return spec if spec.resolution else dataclasses.replace(spec, resolution=o.resolution)

    def latency(self, spec: LatencySpec, opts: Any = None, echo: Callable = print) -> LatencyTable:
        from evogroup.torch.latency.table import latency_table

        o = self._opts(opts)
        spec = self._latency_spec(spec, o)
        memo = self.__dict__.setdefault("_latency_tables", {})
        ident = self.latency_ident(o)
        key = (spec, repr(sorted(ident.items())))
        if key not in memo:
            memo[key] = latency_table(ident, self.space(o), self.static_builder(o), spec, echo=echo)
        return memo[key]

    def measure_latency(self, genome: Genome, spec: LatencySpec, opts: Any = None) -> dict:
        from evogroup.torch.device.runtime import resolve_device
        from evogroup.torch.latency.measure import network_time
        from evogroup.torch.latency.timing import pinned_threads

        o = self._opts(opts)
        spec = self._latency_spec(spec, o)
        genome = self.space(o).validate(genome)
        device = resolve_device(spec.device)
        with pinned_threads(spec.threads):
            timing = network_time(
                self.static_builder(o),
                genome,
                spec.batch,
                spec.resolution,
                device,
                repeats=MEASURE_REPEATS,
            )
        return {"measured_ms": timing.median_ms, "noise_ms": timing.noise_ms}
