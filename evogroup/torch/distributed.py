"""Training on several processes: ``torch.distributed`` under ``torchrun`` (DDP).

``torchrun --nproc_per_node N -m evogroup train-supernet ...`` starts N processes; each
calls :func:`init_from_env` once (NCCL between GPUs, gloo on the CPU), trains its share of
every global batch under :class:`~torch.nn.parallel.DistributedDataParallel`, and only
rank 0 writes checkpoints, CSVs and progress. Without ``torchrun`` every function here is
a no-op for a world of one process.

A supernet step must use the same genome on every rank, or DDP would average the
gradients of different subnets without a word: every rank draws it from the same
run-owned RNG, and :func:`check_same` compares a hash of it across ranks.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from evogroup import ranks
from evogroup.errors import EvogroupError

__all__ = ["active", "barrier", "broadcast_buffers", "check_same", "gather", "init_from_env"]


class DivergedError(EvogroupError, RuntimeError):
    """The processes of one training disagree on what must be the same on all of them."""


def active() -> bool:
    """True when this process is one of several joined in a process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def init_from_env(device: torch.device) -> torch.device:
    """Join the ``torchrun`` launch this process belongs to (once; later calls only return
    the device) and return the device this rank trains on: ``cuda:LOCAL_RANK`` for a CUDA
    device, else ``device``. Without ``torchrun`` (a world of 1), nothing is joined."""
    if device.type == "cuda" and ranks.world_size() > 1:
        device = torch.device("cuda", ranks.local_rank())
        torch.cuda.set_device(device)
    if ranks.world_size() > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


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
