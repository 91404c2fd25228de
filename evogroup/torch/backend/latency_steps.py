"""The latency steps of a weight-sharing backend: its static networks timed on a device
(:mod:`evogroup.torch.latency`), cached per device, torch version, threads, batch,
resolution and options."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from evogroup.core.latency import LatencySpec, LatencyTable
from evogroup.core.space import Genome

MEASURE_REPEATS = 15  # ``evogroup latency --measure``: one genome, more repeats than the fit


class LatencySteps:
    """:meth:`~evogroup.Backend.latency` and :meth:`~evogroup.Backend.measure_latency` for a
    backend that supplies ``static_builder(opts)`` (genome -> its static network),
    ``latency_ident(opts)`` (the options the key holds), ``space`` and ``_opts``."""

    def _latency_spec(self, spec: LatencySpec, o: Any) -> LatencySpec:
        return spec if spec.resolution else dataclasses.replace(spec, resolution=o.resolution)

    def latency(self, spec: LatencySpec, opts: Any = None, echo: Callable = print) -> LatencyTable:
        from evogroup.torch.latency.table import latency_table

        o = self._opts(opts)
        spec = self._latency_spec(spec, o)
        memo = self.__dict__.setdefault("_latency_tables", {})
        key = (spec, repr(sorted(self.latency_ident(o).items())))
        if key not in memo:
            memo[key] = latency_table(
                self.latency_ident(o), self.space(o), self.static_builder(o), spec, echo=echo
            )
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
