"""How training and evaluation run on a device: bf16, channels_last, cuDNN autotuning and
``torch.compile``, chosen per device and per network (DESIGN.md, "Fast on a GPU").

On CUDA, a network whose conv shapes never change (a static network, or a supernet whose
searchable convs use the masked kernel, :mod:`evogroup.torch.nn.masked`) runs

- under bf16 autocast: convs and the classifier's matmul on tensor cores. What stays
  fp32: the weights and Adam's update (fused Adam on fp32 master weights); weight
  binarization, whose scale alpha is a mean of up to ``C_in k^2`` magnitudes (it runs on
  the fp32 weight before autocast casts the conv's operands, so only ``+-alpha`` is
  rounded to bf16); BatchNorm's statistics and running averages (cuDNN accumulates them
  in fp32 and keeps fp32 buffers); the loss (``cross_entropy`` is on autocast's fp32
  list). The activation sign is exact in bf16 (``+-1``).
- in channels_last memory format (model and inputs), with ``cudnn.benchmark`` on (each
  shape is tuned once and never changes),
- under one ``torch.compile`` (the backward is compiled with it): the masked kernel keeps
  its per-genome state in buffers rewritten in place, so no genome recompiles.

A grouped-kernel supernet on CUDA runs fp32, NCHW, ``cudnn.benchmark`` off and eager:
every genome meets new conv shapes, which autotuning would re-tune and ``torch.compile``
would recompile, and bf16 and channels_last made grouped convs slower (measured on an
H100: 1,520 images/s fp32 NCHW, 1,272 bf16, 1,058 channels_last). On the CPU nothing
changes (fp32, NCHW, eager) unless compilation is asked for: compiling the width-0.25
M2 supernet's step with inductor took about 4 minutes on 2 cores.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["Speed", "choose_speed", "fixed_shapes", "prepare"]


@dataclass(frozen=True)
class Speed:
    """The per-device settings of one training or evaluation.

    Attributes:
        device: where it runs.
        amp: the autocast dtype (``torch.bfloat16``) or None for full fp32.
        channels_last: model and inputs in NHWC memory format.
        compile: call the model through ``torch.compile``.
    """

    device: torch.device
    amp: torch.dtype | None = None
    channels_last: bool = False
    compile: bool = False

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast to :attr:`amp` on :attr:`device` (a no-op context when ``amp`` is None)."""
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp)

    def inputs(self, x: Tensor) -> Tensor:
        """A batch of images moved to :attr:`device` in the model's memory format."""
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


def fixed_shapes(model: nn.Module) -> bool:
    """True when no searchable conv of ``model`` uses the grouped kernel (its conv shapes
    are the same under every genome)."""
    from evogroup.torch.nn.shared import SharedConv2d

    return not any(isinstance(m, SharedConv2d) and m.kernel == "grouped" for m in model.modules())


def choose_speed(model: nn.Module, device: torch.device, compile: bool | None = None) -> Speed:
    """The settings for ``model`` on ``device``: bf16, channels_last and compilation on CUDA
    for fixed-shape networks; fp32 eager otherwise. ``compile`` overrides the default
    (on for fixed shapes on CUDA, off elsewhere); a grouped supernet is never compiled
    (every genome would recompile), with a warning when it was asked for.

    Example:
        >>> choose_speed(torch.nn.Linear(2, 2), torch.device("cpu"))
        Speed(device=device(type='cpu'), amp=None, channels_last=False, compile=False)
    """
    fixed = fixed_shapes(model)
    fast = device.type == "cuda" and fixed
    if compile and not fixed:
        warnings.warn(
            "not compiling: a supernet with the grouped kernel would recompile for every"
            " genome; use the masked kernel (--kernel masked) to compile it",
            stacklevel=2,
        )
        compile = False
    return Speed(
        device,
        amp=torch.bfloat16 if fast else None,
        channels_last=fast,
        compile=fast if compile is None else compile,
    )


def prepare(model: nn.Module, speed: Speed) -> nn.Module:
    """Move ``model`` to ``speed.device`` (and channels_last), set ``cudnn.benchmark`` on
    CUDA (on for fixed shapes, off for a grouped supernet), and return what to call:
    ``torch.compile(model)`` or ``model`` itself (``set_genome``, ``train``, ``eval``
    reach ``model`` through either)."""
    model.to(speed.device)
    if speed.channels_last:
        model.to(memory_format=torch.channels_last)
    if speed.device.type == "cuda":
        torch.backends.cudnn.benchmark = fixed_shapes(model)
    if not speed.compile:
        return model
    config = torch._dynamo.config  # train/eval, recalibration and a last partial batch
    for name in ("recompile_limit", "cache_size_limit"):  # 2.11+ / older name
        if hasattr(config, name):
            setattr(config, name, max(getattr(config, name), 32))
            break
    return torch.compile(model, dynamic=False)
