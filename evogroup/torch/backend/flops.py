r"""FLOPs of binary networks, counted with fvcore, and the additive cost table of a search space.

Convention (Bi-Real Net, CI-BCNN; followed by the paper):

.. math::

    \mathrm{FLOPs} = \frac{\mathrm{MACs}_{binary}}{64} + \mathrm{MACs}_{real}

one multiply-add counting as one op. Convs and ``Linear`` layers are counted by fvcore
(which counts MACs); a module is binary when its ``binary`` attribute is true
(:class:`~evogroup.torch.nn.binary.BinaryConv2d`, a binary
:class:`~evogroup.torch.nn.shared.SharedConv2d`). BatchNorm, pooling, additions, ``sign`` and
:math:`\alpha` count zero. Real stems, shortcuts and classifiers are counted.

:func:`cost_table` builds a backend's table once per model (a row per gene, one
single-layer count per choice, and a constant from one whole-model count) and caches it,
keyed by the model's fingerprint, as JSON under ``$EVOGROUP_CACHE``, else ``$XDG_CACHE_HOME/evogroup``, else
``~/.cache/evogroup``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from evogroup.core.errors import InvalidValueError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # fvcore touches the deprecated torch.jit
    from fvcore.nn import FlopCountAnalysis

from evogroup.core.cost import CostTable
from evogroup.core.io import atomic_write_json, cache_dir
from evogroup.core.space import SearchSpace
from evogroup.torch.nn.fingerprint import model_fingerprint
from evogroup.torch.nn.genes import recording_inputs as _recording_inputs
from evogroup.torch.nn.shared import SharedConv2d

BINARY_DIVISOR = 64
CONVENTION = "binary MACs/64 + real MACs"
_CACHE_VERSION = 2
# fvcore counts these by default; the convention counts them zero. set_op_handle(op, None)
# would keep fvcore's default handle, so a handle returning 0 is registered instead.
_ZERO_OPS = (
    "aten::batch_norm",
    "aten::group_norm",
    "aten::layer_norm",
    "aten::instance_norm",
    "aten::adaptive_avg_pool2d",
    "aten::upsample_nearest2d",
    "aten::upsample_bilinear2d",
)


@dataclass(frozen=True)
class LayerFlops:
    """The MACs of one conv or linear layer and whether they are binary."""

    macs: int
    binary: bool

    @property
    def flops(self) -> float:
        return self.macs / BINARY_DIVISOR if self.binary else float(self.macs)


@dataclass(frozen=True)
class FlopReport:
    """FLOPs of a whole model at one resolution (batch 1).

    Attributes:
        flops: ``binary_macs / 64 + real_macs``.
        binary_macs: MACs of binary convs.
        real_macs: MACs of real convs and linear layers.
        per_layer: qualified module name -> :class:`LayerFlops`, for every conv and linear.
    """

    flops: float
    binary_macs: int
    real_macs: int
    per_layer: dict[str, LayerFlops]


def _zero(inputs: list, outputs: list) -> int:
    return 0


def _is_binary(module: nn.Module) -> bool:
    return bool(getattr(module, "binary", False))


def _fvcore_by_module(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """fvcore's MAC count per module name (ancestors include their descendants)."""
    analysis = FlopCountAnalysis(model, x)
    for op in _ZERO_OPS:
        analysis.set_op_handle(op, _zero)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    was_training = model.training
    model.eval()  # tracing runs forward: keep BatchNorm running stats untouched
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit deprecation notices
            return dict(analysis.by_module())
    finally:
        model.train(was_training)


def count_flops(model: nn.Module, resolution: int | tuple[int, int] = 224) -> FlopReport:
    """Count a whole model's FLOPs on one ``resolution`` x ``resolution`` RGB image.

    Example:
        >>> from evogroup.torch.nn.binary import BinaryConv2d
        >>> net = nn.Sequential(nn.Conv2d(3, 8, 3), BinaryConv2d(8, 8, 3, groups=2, bias=False))
        >>> report = count_flops(net, 32)
        >>> report.flops == report.binary_macs / 64 + report.real_macs
        True
    """
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    p = next(model.parameters())
    counts = _fvcore_by_module(model, torch.zeros(1, 3, h, w, device=p.device, dtype=p.dtype))
    per_layer = {
        name: LayerFlops(int(counts.get(name, 0)), _is_binary(m))
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv2d | nn.Linear | SharedConv2d)
    }
    binary = sum(layer.macs for layer in per_layer.values() if layer.binary)
    real = sum(layer.macs for layer in per_layer.values() if not layer.binary)
    return FlopReport(binary / BINARY_DIVISOR + real, binary, real, per_layer)


@functools.cache
def _single_conv_macs(
    cin: int, cout: int, kernel: int, stride: int, groups: int, shape: tuple[int, ...]
) -> int:
    """fvcore's MACs of one ``groups``-group conv, alone, on an input of ``shape``.

    Pure in its (hashable) arguments, so repeated geometries (blocks 7-11, the 3x3 convs
    that M1, M2 and M3 share) are counted once per process.
    """
    conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
    return int(_fvcore_by_module(conv, torch.zeros(shape))[""])


def _row(conv: nn.Module, choices: Iterable[int], shape: tuple) -> dict[int, float]:
    """FLOPs of the searched ``conv`` for each group choice, counted layer by layer."""
    k, divisor = conv.weight.shape[-1], BINARY_DIVISOR if _is_binary(conv) else 1
    stride = conv.stride if isinstance(conv.stride, int) else conv.stride[0]
    return {
        g: _single_conv_macs(conv.in_channels, conv.out_channels, k, stride, g, shape) / divisor
        for g in choices
    }


def build_cost_table(net: nn.Module, space: SearchSpace, resolution: int) -> CostTable:
    """Count the table of ``space`` with fvcore (no cache).

    ``net`` is a static network of the space (any genome: the constant does not depend
    on it, so pass the cheapest) whose gene ``name`` is the module ``net.gene_path(name)``.
    A row per gene holds one single-layer count per choice at the input shape the gene
    sees; the constant is one whole-model count less the genes' layers.
    """
    with _single_thread():
        modules = [net.gene_path(name) for name in space.names]
        with _recording_inputs(net, modules) as shapes:
            report = count_flops(net, resolution)
        constant = sum(lay.flops for name, lay in report.per_layer.items() if name not in modules)
        rows = [
            _row(net.get_submodule(name), layer.choices, shapes[name])
            for name, layer in zip(modules, space.layers)
        ]
    return CostTable(rows, constant)


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    # Counting runs many tiny convs whose values are discarded: one thread is about as fast
    # on an idle machine and 3-10x faster on a busy one (no OpenMP threads spinning).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def cost_table(
    key: dict,
    space: SearchSpace,
    build: Callable[[], nn.Module],
    resolution: int,
    *,
    cache: bool = True,
    sources: Iterable[Any] = (),
) -> CostTable:
    """The FLOP table of ``space`` (see :func:`build_cost_table`), read from the on-disk
    cache when there (a corrupt or stale file is recomputed).

    Args:
        key: what names the table (backend name, architecture, resolution, classes); the
            cache is keyed by it and by the model itself
            (:func:`~evogroup.torch.nn.fingerprint.model_fingerprint` of ``build()``), so an
            edited model never reuses an old table.
        space: the genes.
        build: makes the static network to count.
        resolution: the input side at which FLOPs are counted.
        sources: code that defines the model beyond its modules (a user's factory).
    """
    if not isinstance(resolution, int) or resolution < 32:
        raise InvalidValueError(f"resolution >= 32 must hold, but got resolution={resolution!r}")
    net = build()
    key = {
        **key,
        "version": _CACHE_VERSION,
        "convention": CONVENTION,
        "resolution": resolution,
        "space": space.fingerprint(),
        "model": model_fingerprint(net, sources),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"{key.get('backend', 'net')}-r{resolution}-{digest}.json"
    if cache:
        try:
            data = json.loads(path.read_text())
            if data["key"] == key:
                return CostTable.from_json(data["cost"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # missing, corrupt or stale: recompute
    table = build_cost_table(net, space, resolution)
    if cache:
        try:
            atomic_write_json(path, {"key": key, "cost": table.to_json()})
        except OSError as exc:
            warnings.warn(f"could not cache the FLOP table at {path}: {exc}", stacklevel=2)
    return table
