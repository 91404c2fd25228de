"""Where and how one command computes: resolved once, then passed down.

A :class:`Runtime` holds the device, the weight-sharing kernel, where JPEGs are decoded,
compilation, synchronized BatchNorm and the ``torchrun`` world. A backend resolves it
once per command (:meth:`Runtime.resolve`, refusing a device this machine lacks before
any work) and hands it to training (:mod:`evogroup.torch.train.trainer`), the loaders
(:mod:`evogroup.torch.data.loaders`) and the fitness (:mod:`evogroup.torch.fitness.supernet_fitness`), which
read it and resolve nothing themselves.

A runtime shipped to another process (a search worker) resolves again there from what
the user asked: the device is a fact of the process that computes (its own
``CUDA_VISIBLE_DEVICES``), not of the one that pickled it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from evogroup.core import launch
from evogroup.core.errors import DeviceError, OptionError
from evogroup.torch.device.accel import Speed, choose_speed
from evogroup.torch.options.choices import KERNEL_CHOICES, check_choice

__all__ = ["Runtime", "resolve_device", "resolve_kernel"]


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a torch.device; ``None`` picks CUDA when available, else the CPU.

    Raises:
        OptionError: ``device`` is not a device name.
        DeviceError: ``device`` names one this machine lacks (``cuda`` without a GPU,
            ``cuda:3`` with two, ``mps`` off a Mac).
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        dev = torch.device("meta")  # refused below, with the user's spelling
    if dev.type not in ("cpu", "cuda", "mps"):
        raise OptionError(f"--device must be cpu, cuda, cuda:N or mps, but got {device!r}")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if dev.type == "cuda" and count == 0:
        raise DeviceError(
            f"--device {device}: CUDA is not available on this machine; use --device cpu"
        )
    if dev.type == "cuda" and dev.index is not None and dev.index >= count:
        raise DeviceError(
            f"--device {device}: this machine has {count} CUDA device(s), cuda:0..cuda:{count - 1}"
        )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(
            f"--device {device}: MPS is not available on this machine; use --device cpu"
        )
    return dev


def resolve_kernel(kernel: str, device: torch.device) -> str:
    """``kernel``, with ``"auto"`` resolved for ``device``: masked on CUDA, grouped elsewhere.

    On the CPU the grouped kernel wins: the masked kernel spends ``g = 1`` arithmetic on
    every genome: 3.1x the grouped training step for M2 at width 1.0 on 32x32 inputs
    (``benchmarks/supernet.py``, docs/benchmarks.md). On a GPU fixed shapes win (DESIGN.md,
    "Fast on a GPU").

    Example:
        >>> cpu = torch.device("cpu")
        >>> resolve_kernel("auto", cpu), resolve_kernel("masked", cpu)
        ('grouped', 'masked')
    """
    check_choice("--kernel", kernel, KERNEL_CHOICES)
    if kernel != "auto":
        return kernel
    return "masked" if device.type == "cuda" else "grouped"


def _rank_device(device: torch.device) -> torch.device:
    """Under ``torchrun`` on CUDA each rank computes on ``cuda:LOCAL_RANK``."""
    if device.type == "cuda" and launch.world_size() > 1:
        device = torch.device("cuda", launch.local_rank())
        torch.cuda.set_device(device)
    return device


@dataclass(frozen=True)
class Runtime:
    """How this process computes, resolved once per command.

    Attributes:
        device: this process's device (``cuda:LOCAL_RANK`` under ``torchrun`` on CUDA).
        kernel: the supernet's weight-sharing kernel, ``"grouped"`` or ``"masked"``.
        decode: where JPEGs are decoded, as asked: ``"cpu"``, ``"gpu"`` or ``"auto"``; data
            loading checks it (:func:`evogroup.torch.data.decode.check_decode`) and settles
            ``auto`` per dataset (:func:`evogroup.torch.data.loaders.decodes_on_device`).
        compile: ``torch.compile`` (``None``: :func:`~evogroup.torch.device.accel.choose_speed`'s
            default, on for fixed-shape nets on CUDA).
        sync_bn: under ``torchrun``, SyncBatchNorm over the global batch (CUDA only).
        world, rank: the ``torchrun`` world (1 and 0 without it).
    """

    device: torch.device
    kernel: str = "grouped"
    decode: str = "cpu"
    compile: bool | None = None
    sync_bn: bool = False
    world: int = 1
    rank: int = 0
    asked: tuple = field(default=(), compare=False, repr=False)

    @classmethod
    def resolve(
        cls,
        device: str | torch.device | None = None,
        *,
        kernel: str = "auto",
        decode: str = "auto",
        compile: bool | None = None,
        sync_bn: bool = False,
    ) -> Runtime:
        """The runtime of the options a user gave (``--device``, ``--kernel``, ...).

        Raises:
            OptionError: a kernel outside its choices; ``--sync-bn`` across processes off
                CUDA.
            DeviceError: ``device`` names one this machine lacks.
        """
        dev = _rank_device(resolve_device(device))
        world = launch.world_size()
        if sync_bn and world > 1 and dev.type != "cuda":
            raise OptionError(
                f"--sync-bn needs CUDA (torch syncs BatchNorm on GPUs), but got {dev}"
            )
        asked = (None if device is None else str(device), kernel, decode, compile, sync_bn)
        return cls(
            dev, resolve_kernel(kernel, dev), decode, compile, sync_bn, world, launch.rank(), asked
        )

    def __reduce__(self) -> tuple[Any, tuple]:
        if not self.asked:  # built by hand: shipped as it is
            return (
                Runtime,
                (
                    self.device,
                    self.kernel,
                    self.decode,
                    self.compile,
                    self.sync_bn,
                    self.world,
                    self.rank,
                ),
            )
        return (_resolve_again, self.asked)

    def speed(self, model: nn.Module) -> Speed:
        """bf16 / channels_last / compile for ``model`` here (:func:`choose_speed`)."""
        return choose_speed(model, self.device, self.compile)

    def per_process(self, batch_size: int) -> int:
        """This process's share of a global batch of ``batch_size`` images.

        Raises:
            OptionError: ``batch_size`` does not split evenly over the processes.
        """
        if batch_size % self.world:
            raise OptionError(
                f"--batch-size (the global batch) must be a multiple of the {self.world}"
                f" processes, but got {batch_size}"
            )
        return batch_size // self.world

    @property
    def cuda_indices(self) -> list[int]:
        """The CUDA device this process uses, as ``torch.random.fork_rng`` takes it."""
        return [self.device.index or 0] if self.device.type == "cuda" else []


def _resolve_again(device, kernel, decode, compile, sync_bn) -> Runtime:
    return Runtime.resolve(device, kernel=kernel, decode=decode, compile=compile, sync_bn=sync_bn)
