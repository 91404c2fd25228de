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


class StemFeaturesClassifier(nn.Module):
    """A base for static networks shaped ``stem -> features -> global average pool ->
    classifier`` whose gene ``name`` is the conv at ``features.<name>.conv``: it supplies
    :meth:`forward`, :meth:`gene_path` and :attr:`config`. A subclass builds the three
    modules, sets ``genome`` and defines :attr:`arch`."""

    stem: nn.Module
    features: nn.Module
    classifier: nn.Module
    genome: Genome

    @property
    def arch(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def config(self) -> dict[str, Any]:
        """What rebuilds this net with its backend's ``build_model``: :attr:`arch` and the genome."""
        return {**self.arch, "genome": list(self.genome)}

    @staticmethod
    def gene_path(name: str) -> str:
        """The qualified module name of gene ``name``'s conv (``"block3.conv3x3"`` ->
        ``"features.block3.conv3x3.conv"``)."""
        return f"features.{name}.conv"

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(self.stem(x))
        return self.classifier(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))
