r"""What is timed: each searched layer alone at each group choice, and whole networks.

A layer is timed as the module the static network holds at that gene (for a binary
conv, :class:`~evogroup.torch.nn.binary.BinaryConv2d`: its weights binarized and the
convolution computed in float, which is what this device runs; no binary kernel is
used), on a random input of the shape it sees inside the network. The shapes come from
one forward pass (:func:`evogroup.torch.nn.genes.gene_inputs`); a network that cannot
run at the resolution is refused in one line.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from evogroup.core.cost import CostTable
from evogroup.core.errors import OptionError
from evogroup.core.space import Genome, SearchSpace
from evogroup.torch.latency.timing import Timing, time_call
from evogroup.torch.nn.genes import gene_inputs, gene_modules

Build = Callable[[Genome], nn.Module]


def _input(batch: int, resolution: int, device: torch.device) -> torch.Tensor:
    return torch.randn(batch, 3, resolution, resolution, device=device)


def gene_shapes(
    build: Build, space: SearchSpace, batch: int, resolution: int, device: torch.device
) -> dict[str, tuple]:
    """The input shape of every gene's conv; :class:`OptionError` when the network cannot
    run at ``resolution``."""
    net = build(space.uniform(2**62)).to(device)
    try:
        return gene_inputs(net, space, _input(batch, resolution, device))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OptionError(
            f"--resolution {resolution}: the backend's network cannot run at"
            f" {resolution}x{resolution} px ({first})"
        ) from None


def layer_times(
    build: Build,
    space: SearchSpace,
    batch: int,
    resolution: int,
    device: torch.device,
    repeats: int,
) -> CostTable:
    """Milliseconds of each gene's conv at each of its choices (constant 0).

    Network ``j`` sets every layer to its ``j``-th choice (or its last), so
    ``max(len(choices))`` networks cover every (layer, choice) pair.
    """
    shapes = gene_shapes(build, space, batch, resolution, device)
    rows: list[dict[int, float]] = [{} for _ in space.layers]
    for j in range(max(len(layer.choices) for layer in space.layers)):
        genome = tuple(layer.choices[min(j, len(layer.choices) - 1)] for layer in space.layers)
        net = build(genome).to(device).eval()
        for row, name, g in zip(rows, gene_modules(net, space), genome):
            if g not in row:
                row[g] = _module_time(net.get_submodule(name), shapes[name], device, repeats)
    return CostTable(rows)


def _module_time(module: nn.Module, shape: tuple, device: torch.device, repeats: int) -> float:
    x = torch.randn(shape, device=device)
    with torch.inference_mode():
        return time_call(lambda: module(x), device, repeats=repeats).median_ms


def network_time(
    build: Build,
    genome: Genome,
    batch: int,
    resolution: int,
    device: torch.device,
    repeats: int,
) -> Timing:
    """The whole static network of ``genome``, in eval mode without gradients."""
    net = build(genome).to(device).eval()
    x = _input(batch, resolution, device)
    with torch.inference_mode():
        return time_call(lambda: net(x), device, repeats=repeats)
