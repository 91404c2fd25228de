"""Training on several processes: ``torch.distributed`` under ``torchrun`` (DDP).

``torchrun --nproc_per_node N -m evogroup train-supernet ...`` starts N processes; each
calls :func:`join` once (NCCL between GPUs, gloo on the CPU), trains its share of
every global batch under :class:`~torch.nn.parallel.DistributedDataParallel`, and only
rank 0 writes checkpoints, CSVs and progress. Without ``torchrun`` every function here is
a no-op for a world of one process.

A supernet step must use the same genome on every rank, or DDP would average the
gradients of different subnets without a word: every rank draws it from the same
run-owned RNG, and :func:`check_same` compares a hash of it across ranks.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from evogroup.core import launch
from evogroup.core.errors import EvogroupError

__all__ = [
    "active",
    "barrier",
    "broadcast_buffers",
    "check_same",
    "from_main",
    "gather",
    "join",
    "wrap",
]

T = TypeVar("T")

#: How long the other ranks wait for :func:`from_main`: rank 0's evolutionary search and
#: random-search baseline of ``reproduce`` take hours on ImageNet, far past the timeout
#: after which a collective of the default process group gives up (30 min gloo, 10 NCCL).
WAIT_FOR_MAIN = timedelta(days=7)
_waiting_group: Any = None
LEAVE_WAIT = timedelta(seconds=30)  # at exit, how long a rank waits for the others to leave


class DivergedError(EvogroupError, RuntimeError):
    """The processes of one training disagree on what must be the same on all of them."""


class MainFailedError(EvogroupError, RuntimeError):
    """Rank 0 failed in work the other ranks were waiting for (its own error says why)."""


def active() -> bool:
    """True when this process is one of several joined in a process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def join(device: torch.device) -> None:
    """Join the ``torchrun`` launch this process belongs to (once; later calls do nothing):
    NCCL for a CUDA ``device`` (this rank's, :class:`~evogroup.torch.device.runtime.Runtime`),
    gloo otherwise. Without ``torchrun`` (a world of 1), nothing is joined."""
    if launch.world_size() > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def wrap(model: nn.Module, device: torch.device, channels_last: bool, sync_bn: bool) -> nn.Module:
    """``model`` wrapped in DDP when this process is one of several, else ``model``.

    Every weight is used at every step whatever the genome (the grouped kernel slices
    views of the full weight, the masked kernel multiplies it by a mask), so DDP needs no
    ``find_unused_parameters``."""
    if not active():
        return model
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # in place below the root
    model.to(device)
    if channels_last:  # before DDP, whose gradient buckets follow the weights' layout
        model.to(memory_format=torch.channels_last)
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def barrier() -> None:
    """Wait for every rank (no-op in a world of 1)."""
    if active():
        dist.barrier()


def gather(value: Any) -> list[Any]:
    """``value`` of every rank, in rank order (``[value]`` in a world of 1)."""
    if not active():
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def check_same(value: Any, what: str) -> None:
    """Fail loudly on every rank when ``value`` (e.g. this step's genome) differs between ranks.

    Raises:
        DivergedError: naming ``what`` and each rank's hash.
    """
    if not active():
        return
    digest = hashlib.blake2b(repr(value).encode(), digest_size=8).hexdigest()
    digests = gather(digest)
    if len(set(digests)) > 1:
        raise DivergedError(
            f"the ranks must agree on {what}, but rank hashes differ: {digests}; every rank"
            " must draw genomes from the same seed (same --seed, same checkpoint)"
        )


def broadcast_buffers(model: nn.Module) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank, so that
    evaluation and checkpoints see one model. DDP syncs them only before a forward."""
    if active():
        for buf in model.buffers():
            dist.broadcast(buf, 0)


def sum_over_ranks(values: list[float]) -> list[float]:
    """The element-wise sum of ``values`` over all ranks (``values`` in a world of 1)."""
    if not active():
        return values
    return [sum(column) for column in zip(*gather(values))]


def from_main(compute: Callable[[], T]) -> T:
    """``compute()`` run on rank 0 alone, its (picklable) value returned on every rank.

    For work that only rank 0 may do (a search that writes the run's files) and whose
    outcome all ranks need next (the genomes they then train together under DDP). The
    other ranks wait in a gloo group of their own with a :data:`WAIT_FOR_MAIN` timeout, since
    ``compute`` may take hours. When ``compute`` raises on rank 0, the others raise
    :class:`MainFailedError` instead of waiting for a value that never comes. Joins the
    ``torchrun`` launch first if no training did yet (e.g. ``reproduce --supernet``).
    """
    if launch.world_size() == 1:
        return compute()
    group = _group_for_long_waits()  # every rank is here: no rank is late to create it
    if not launch.is_main():
        ok, value = _broadcast_from_main(None, group)
        if not ok:
            raise MainFailedError(f"rank 0 failed ({value}); its traceback says where")
        return value
    try:
        value = compute()
    except Exception as exc:
        _broadcast_from_main((False, f"{type(exc).__name__}: {exc}"), group)
        raise
    _broadcast_from_main((True, value), group)
    return value


@atexit.register
def _leave() -> None:
    """Leave the process groups before the interpreter exits, all ranks together: a rank
    that tore its gloo groups down while another still held its end aborted, its work
    done ("terminate called without an active exception", SIGABRT; 1 launch in ~8 on a
    loaded 2-core machine), and torchrun reports that as a failed launch. With a barrier
    (given up after :data:`LEAVE_WAIT`, when a rank is gone) first: 0 in 16."""
    global _waiting_group
    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(Exception):  # exiting anyway; another rank may be gone
            if _waiting_group is not None:  # leave together, or after LEAVE_WAIT at most
                dist.monitored_barrier(_waiting_group, timeout=LEAVE_WAIT)
            dist.destroy_process_group()
    _waiting_group = None


def _group_for_long_waits() -> Any:
    global _waiting_group
    if not dist.is_initialized():
        # No backend named: gloo for CPU tensors and, where CUDA is, NCCL for CUDA ones,
        # so that a later join finds the group a CUDA training needs.
        dist.init_process_group()
    if _waiting_group is None:
        _waiting_group = dist.new_group(backend="gloo", timeout=WAIT_FOR_MAIN)
    return _waiting_group


def _broadcast_from_main(value: Any, group: Any) -> Any:
    box = [value]
    dist.broadcast_object_list(box, src=0, group=group)
    return box[0]
