"""The small protocol every weight-sharing network satisfies, so the trainer and the
fitness work for any backend.

A supernet holds every genome's weights at once; :meth:`WeightSharingNet.set_genome`
selects one, the forward pass then runs that subnetwork, and
:meth:`WeightSharingNet.export` copies it out as a plain static network. The static
network names each gene's conv by :meth:`StaticNet.gene_path`, which FLOP counting uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from torch import Tensor, nn

from evogroup.core.space import Genome, SearchSpace


@runtime_checkable
class WeightSharingNet(Protocol):
    """A supernet: ``space``, ``set_genome``, ``export`` and ``arch`` (what rebuilds it)."""

    space: SearchSpace

    def set_genome(self, genome: Iterable[int]) -> Genome:
        """Validate ``genome`` and run under it until the next call; return it as a tuple."""

    def export(self, genome: Iterable[int]) -> nn.Module:
        """The static network of ``genome`` with the supernet's (sliced) weights."""

    @property
    def arch(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this supernet (saved in checkpoints)."""

    def __call__(self, x: Tensor) -> Tensor: ...


@runtime_checkable
class StaticNet(Protocol):
    """A network with fixed group counts, as ``export`` returns and ``train`` trains."""

    genome: Genome

    @staticmethod
    def gene_path(name: str) -> str:
        """The qualified module name of gene ``name``'s conv (for FLOP counting)."""

    def __call__(self, x: Tensor) -> Tensor: ...
