"""The supernet of any model, by surgery, and the static networks it exports: the model's
own class with the searched convs' ``groups`` changed.

:class:`ModuleSupernet` wraps a model whose searchable convs were replaced by
:class:`~evogroup.torch.nn.shared.SharedConv2d` (each holding the model's weight on its native
block diagonal), and satisfies :class:`~evogroup.torch.nn.protocol.WeightSharingNet`.
:meth:`ModuleSupernet.export` returns a copy of the wrapped model — the user's class, e.g.
``torchvision.models.MobileNetV2`` — whose searched convs are plain ``nn.Conv2d`` (or
``BinaryConv2d``) with the genome's group counts and the sliced weights.

Example:
    >>> import torchvision
    >>> net = ModuleSupernet.from_model(torchvision.models.mobilenet_v2(width_mult=0.25))
    >>> static = net.export(net.genes.native)
    >>> type(static).__name__
    'MobileNetV2'
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

from anynet.factory import build_model
from anynet.surgery import (
    GROUPED,
    Genes,
    binarize_model,
    convs_of,
    find_genes,
    regrouped,
    shared_from,
)
from evogroup.core.space import Genome
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import SharedConv2d, SharedSupernet, block_diagonal


class _Wrapper(nn.Module):
    """Runs the wrapped model (``net``), so :class:`SharedSupernet` can call ``super().forward``."""

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ModuleSupernet(SharedSupernet, _Wrapper):
    """The weight-sharing supernet of a model: gene ``name`` is the conv ``net.<name>``.

    Build it from a spec with :func:`build_supernet` (what checkpoints rebuild) or wrap a
    model you hold with :meth:`from_model` (the model is changed in place).

    Args:
        model: the model; its convs named by ``genes`` become shared convs.
        genes: from :func:`~anynet.surgery.find_genes`.
        binary: binarize the model first (:func:`~anynet.surgery.binarize_model`). A gene
            is binary when its conv is (a model may bring its own ``BinaryConv2d``).
        kernel: how the shared convs compute, ``"grouped"`` or ``"masked"``.
        arch: what rebuilds it (:func:`build_supernet`'s arguments), for checkpoints.
    """

    def __init__(
        self,
        model: nn.Module,
        genes: Genes,
        binary: bool = False,
        kernel: str = "grouped",
        arch: dict[str, Any] | None = None,
    ):
        nn.Module.__init__(self)
        self.genes, self.space, self.binary = genes, genes.space, binary
        self._arch = dict(arch or {})
        if binary:
            binarize_model(model)
        found = convs_of(model)
        for name in self.space.names:  # binary where the model's conv is (after binarizing)
            model.set_submodule(name, shared_from(found[name], _is_binary(found[name])))
        self.net = model
        self._bind_genes(kernel)

    @classmethod
    def from_model(
        cls,
        model: nn.Module,
        convs: str = GROUPED,
        max_groups: int | None = None,
        binary: bool = False,
        kernel: str = "grouped",
    ) -> ModuleSupernet:
        """The supernet of ``model`` (changed in place) under the ``convs`` policy."""
        genes = find_genes(model, convs, max_groups, label=type(model).__name__)
        return cls(model, genes, binary, kernel)

    @property
    def arch(self) -> dict[str, Any]:
        """What :func:`build_supernet` rebuilds this supernet from (empty for :meth:`from_model`)."""
        return dict(self._arch)

    @staticmethod
    def gene_path(name: str) -> str:
        return f"net.{name}"

    def export(self, genome: Iterable[int]) -> nn.Module:
        """A copy of the wrapped model (its own class) whose searched convs are static
        ``genome``-group convs holding the sliced weights; in this supernet's mode."""
        genome = self.space.validate(genome)
        static = copy.deepcopy(self.net)
        for name, groups in zip(self.space.names, genome):
            static.set_submodule(name, _static_of(static.get_submodule(name), groups))
        return mark_static(static, genome)


def _static_of(shared: SharedConv2d, groups: int) -> nn.Conv2d:
    """The ``groups``-group conv (``BinaryConv2d`` when binary) holding ``shared``'s slice."""
    cls = BinaryConv2d if shared.binary else nn.Conv2d
    w = shared.weight.detach()
    conv = cls(
        shared.in_channels,
        shared.out_channels,
        w.shape[-1],
        shared.stride,
        shared.padding,
        groups=groups,
        bias=False,
        device=w.device,
        dtype=w.dtype,
    )
    with torch.no_grad():
        conv.weight.copy_(block_diagonal(w, groups))
    return conv.train(shared.training)


def mark_static(model: nn.Module, genome: Genome) -> nn.Module:
    """Give a static network what :class:`~evogroup.torch.nn.protocol.StaticNet` asks:
    ``genome`` and ``gene_path``. Gene names are module names, so ``gene_path`` is the
    identity; ``str`` is one that pickles by reference to builtins, so ``torch.save(model)``
    loads with torchvision alone."""
    model.genome = tuple(genome)
    model.gene_path = str
    return model


def build_supernet(
    *,
    model: str,
    num_classes: int,
    model_kwargs: str | None = None,
    convs: str = GROUPED,
    max_groups: int | None = None,
    binarize: bool = False,
    kernel: str = "grouped",
) -> ModuleSupernet:
    """The supernet of the model spec ``model`` (see :mod:`anynet.factory`)."""
    net = build_model(model, model_kwargs, num_classes)
    genes = find_genes(net, convs, max_groups, label=model)
    arch = {
        "model": model,
        "num_classes": num_classes,
        "model_kwargs": model_kwargs,
        "convs": convs,
        "max_groups": max_groups,
        "binarize": binarize,
    }
    return ModuleSupernet(net, genes, binarize, kernel, arch)


def build_network(
    genome: Iterable[int],
    *,
    model: str,
    num_classes: int,
    model_kwargs: str | None = None,
    convs: str = GROUPED,
    max_groups: int | None = None,
    binarize: bool = False,
) -> nn.Module:
    """The static network of ``genome``, to train from scratch: the model of spec ``model``
    whose searched convs have the genome's group counts. A conv at its native count is the
    model's own (its init); a regrouped one gets PyTorch's default init."""
    net = build_model(model, model_kwargs, num_classes)
    genes = find_genes(net, convs, max_groups, label=model)
    genome = genes.space.validate(genome)
    if binarize:
        binarize_model(net)
    found = convs_of(net)
    for name, groups, native in zip(genes.space.names, genome, genes.native):
        if groups != native:
            conv = found[name]
            net.set_submodule(name, regrouped(conv, groups, _is_binary(conv)))
    return mark_static(net, genome)


def _is_binary(conv: nn.Module) -> bool:
    return bool(getattr(conv, "binary", False))
