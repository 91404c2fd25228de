r"""FLOPs of binary MobileNets, counted with fvcore, and the additive cost table of a module.

Convention (Bi-Real Net, CI-BCNN; followed by the paper):

.. math::

    \mathrm{FLOPs} = \frac{\mathrm{MACs}_{binary}}{64} + \mathrm{MACs}_{real}

one multiply-add counting as one op. Convs and ``Linear`` layers are counted by fvcore
(which counts MACs); a conv is binary when it is a :class:`~binmobilenet.binary.BinaryConv2d`
or a binary :class:`~binmobilenet.supernet.SharedConv2d`. BatchNorm, pooling, additions,
``sign`` and :math:`\alpha` count zero. The stem and the classifier are real and counted.

:func:`cost_table` builds the table once per ``(module, resolution, num_classes,
width_mult)`` and caches it as JSON under ``$EVOGROUP_CACHE``, else
``$XDG_CACHE_HOME/evogroup``, else ``~/.cache/evogroup``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # fvcore touches the deprecated torch.jit
    from fvcore.nn import FlopCountAnalysis

from binmobilenet.binary import BinaryConv2d
from binmobilenet.supernet import BinMobileNet, SharedConv2d, check_module, search_space
from evogroup import CostTable
from evogroup.io import atomic_write_json

BINARY_DIVISOR = 64
CONVENTION = "binary MACs/64 + real MACs"
_CACHE_VERSION = 1
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
    return isinstance(module, BinaryConv2d) or (isinstance(module, SharedConv2d) and module.binary)


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
        >>> from binmobilenet.supernet import BinMobileNet
        >>> net = BinMobileNet((1,) * 13, module="M3", num_classes=10, width_mult=0.25)
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


@contextlib.contextmanager
def _recording_inputs(model: nn.Module, names: Iterable[str]) -> Iterator[dict[str, tuple]]:
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


def build_cost_table(
    module: str = "M2", resolution: int = 224, num_classes: int = 1000, width_mult: float = 1.0
) -> CostTable:
    """Count the table with fvcore (no cache): a row per searched layer, one single-layer
    count per choice; the constant is one whole-model count less the searched layers."""
    with _single_thread():
        return _build_cost_table(module, resolution, num_classes, width_mult)


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


def _build_cost_table(
    module: str, resolution: int, num_classes: int, width_mult: float
) -> CostTable:
    space = search_space(check_module(module), width_mult)
    # The cheapest genome: the constant does not depend on it, so count the fastest net.
    net = BinMobileNet(space.uniform(2**62), module, num_classes, width_mult)
    modules = [f"features.{name}.conv" for name in space.names]
    with _recording_inputs(net, modules) as shapes:
        report = count_flops(net, resolution)
    constant = sum(lay.flops for name, lay in report.per_layer.items() if name not in modules)
    rows = [
        _row(net.get_submodule(name), layer.choices, shapes[name])
        for name, layer in zip(modules, space.layers)
    ]
    return CostTable(rows, constant)


def cache_dir() -> Path:
    """``$EVOGROUP_CACHE``, else ``$XDG_CACHE_HOME/evogroup``, else ``~/.cache/evogroup``."""
    if os.environ.get("EVOGROUP_CACHE"):
        return Path(os.environ["EVOGROUP_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "evogroup"


def _cache_key(module: str, resolution: int, num_classes: int, width_mult: float) -> dict:
    return {
        "backend": "binmobilenet",
        "version": _CACHE_VERSION,
        "convention": CONVENTION,
        "module": module,
        "resolution": resolution,
        "num_classes": num_classes,
        "width_mult": width_mult,
        "space": search_space(module, width_mult).fingerprint(),
    }


def _check_args(resolution: int, num_classes: int) -> None:
    if not isinstance(resolution, int) or resolution < 32:
        raise ValueError(f"resolution >= 32 must hold, but got resolution={resolution!r}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes >= 1 must hold, but got num_classes={num_classes!r}")


def cost_table(
    module: str = "M2",
    resolution: int = 224,
    num_classes: int = 1000,
    width_mult: float = 1.0,
    *,
    cache: bool = True,
) -> CostTable:
    """The FLOP table of ``module``'s genes at ``resolution`` (see :func:`build_cost_table`),
    read from the on-disk cache when there (a corrupt or stale file is recomputed).

    Example:
        >>> table = cost_table("M3")
        >>> round(table(search_space("M3").uniform(4)) / 1e8, 2)
        0.37
    """
    check_module(module)
    _check_args(resolution, num_classes)
    key = _cache_key(module, resolution, num_classes, float(width_mult))
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"binmobilenet-{module}-r{resolution}-{digest}.json"
    if cache:
        try:
            data = json.loads(path.read_text())
            if data["key"] == key:
                return CostTable.from_json(data["cost"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # missing, corrupt or stale: recompute
    table = build_cost_table(module, resolution, num_classes, width_mult)
    if cache:
        try:
            atomic_write_json(path, {"key": key, "cost": table.to_json()})
        except OSError as exc:
            warnings.warn(f"could not cache the FLOP table at {path}: {exc}", stacklevel=2)
    return table
