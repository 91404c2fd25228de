"""The searchable convs of a static network and the input each one sees: the one place
that enumerates them, for the FLOP table (:mod:`evogroup.torch.backend.flops`) and the
latency table (:mod:`evogroup.torch.latency`) alike."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import torch
from torch import nn

from evogroup.core.space import SearchSpace


@contextlib.contextmanager
def recording_inputs(model: nn.Module, names: Iterable[str]) -> Iterator[dict[str, tuple]]:
    """Record the input shape each named submodule sees while the block runs."""
    shapes: dict[str, tuple] = {}
    hooks = [
        model.get_submodule(name).register_forward_pre_hook(
            lambda _m, args, name=name: shapes.__setitem__(name, tuple(args[0].shape))
        )
        for name in names
    ]
    try:
        yield shapes
    finally:
        for hook in hooks:
            hook.remove()


def gene_modules(net: nn.Module, space: SearchSpace) -> list[str]:
    """The qualified module name of every gene's conv, in the space's order."""
    return [net.gene_path(name) for name in space.names]


def gene_inputs(net: nn.Module, space: SearchSpace, x: torch.Tensor) -> dict[str, tuple]:
    """Gene conv module name -> the shape of the input it sees when ``net`` runs on ``x``
    (a forward pass in eval mode without gradients)."""
    modules = gene_modules(net, space)
    was_training = net.training
    net.eval()
    try:
        with recording_inputs(net, modules) as shapes, torch.no_grad():
            net(x)
    finally:
        net.train(was_training)
    return {name: shapes[name] for name in modules}
