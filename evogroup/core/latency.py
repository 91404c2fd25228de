r"""Latency as a cost: what a measured latency table is, without torch.

A backend that can time its networks (:meth:`evogroup.Backend.latency`) returns a
:class:`LatencyTable`: milliseconds per searched layer and group choice, measured one
layer at a time on the device, corrected by a fit on whole networks:

.. math::

    \widehat{\mathrm{ms}}(G) = \alpha + \beta \sum_{l} t_l[G_l]

where :math:`t_l[g]` is layer :math:`l`'s measured time at :math:`g` groups alone, and
:math:`(\alpha, \beta)` are fitted by least squares on whole-network timings of sample
genomes: :math:`\alpha` is the part no gene moves (stem, head, framework overhead),
:math:`\beta` what running inside a network does to a layer's time (memory traffic,
caches). The prediction is again additive (:attr:`LatencyTable.cost` is a
:class:`~evogroup.core.cost.CostTable` in ms), so repair, sampling and the knapsack treat
it exactly as they treat FLOPs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evogroup.core.cost import CostTable
from evogroup.core.errors import OptionError


@dataclass(frozen=True)
class LatencySpec:
    """Where and how latency is measured: the device (``cpu``, ``cuda``, ``cuda:1``), the
    CPU threads torch may use, the batch size and the input side (None: the backend's
    ``--resolution``)."""

    device: str = "cpu"
    batch: int = 1
    threads: int = 1
    resolution: int | None = None

    def __post_init__(self) -> None:
        for name in ("batch", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"--{name} >= 1 must hold, but got --{name} {value!r}")
        if self.resolution is not None and (
            isinstance(self.resolution, bool)
            or not isinstance(self.resolution, int)
            or self.resolution < 1
        ):
            raise OptionError(f"--resolution >= 1 must hold, but got {self.resolution!r}")


@dataclass(frozen=True)
class LatencyTable:
    """A measured, corrected latency table (milliseconds).

    Attributes:
        cost: the prediction :math:`\\alpha + \\beta \\sum_l t_l[G_l]` as a cost table.
        layers: the raw per-layer times :math:`t_l[g]` (ms), constant 0.
        offset, scale: :math:`\\alpha` (ms) and :math:`\\beta`.
        fit: how the correction was fitted: ``genomes`` timed, their ``mape`` (%) and the
            median ``noise_ms`` (half the spread between quartiles of the repeats).
        key: what the table was measured for (device, torch version, threads, batch,
            resolution, backend options, search space).
        path: its cache file; ``cached``: whether it was read from there.
    """

    cost: CostTable
    layers: CostTable
    offset: float
    scale: float
    fit: dict[str, Any] = field(default_factory=dict)
    key: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    cached: bool = False

    @classmethod
    def corrected(cls, layers: CostTable, offset: float, scale: float, **kw: Any) -> LatencyTable:
        rows = [{g: scale * t for g, t in row.items()} for row in layers.table]
        return cls(CostTable(rows, offset), layers, offset, scale, **kw)

    def predict(self, genome: tuple[int, ...]) -> float:
        return self.cost(genome)

    def to_json(self) -> dict[str, Any]:
        return {
            "layers": self.layers.to_json(),
            "offset": self.offset,
            "scale": self.scale,
            "fit": self.fit,
            "key": self.key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: str | None = None) -> LatencyTable:
        layers = CostTable.from_json(data["layers"])
        return cls.corrected(
            layers,
            data["offset"],
            data["scale"],
            fit=data["fit"],
            key=data["key"],
            path=path,
            cached=True,
        )
