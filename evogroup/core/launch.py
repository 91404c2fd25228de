"""Which process of a ``torchrun`` launch this is, read from its environment (torch-free).

``torchrun`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in every process it starts;
a process started any other way is rank 0 of a world of 1. Only rank 0 writes a run's
files and prints; :mod:`evogroup.torch.device.distributed` joins the processes for training.
A :class:`Coordinator` (the backend's) lets the torch-free pipeline coordinate the ranks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


def rank() -> int:
    """This process's rank among all processes of the launch (0 without torchrun)."""
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    """This process's rank on its machine (its GPU under torchrun; 0 without torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def world_size() -> int:
    """The number of processes of the launch (1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """True in the one process that writes files and prints (rank 0)."""
    return rank() == 0


class Coordinator(Protocol):
    """How the processes of one launch agree: the torch-free pipeline asks its backend for one
    (:meth:`evogroup.Backend.coordinator`); the torch layer's is :mod:`evogroup.torch.device.distributed`."""

    def from_main(self, compute: Callable[[], T]) -> T:
        """``compute()`` run on rank 0 alone, its value returned on every rank."""

    def check_same(self, value: Any, what: str) -> None:
        """Fail loudly on every rank when ``value`` differs between ranks."""


class SingleProcess:
    """The coordinator of a backend that runs in one process: rank 0 is everybody."""

    def from_main(self, compute: Callable[[], T]) -> T:
        if world_size() > 1:
            raise RuntimeError(
                f"this backend runs in one process, but torchrun started {world_size()}"
            )
        return compute()

    def check_same(self, value: Any, what: str) -> None:
        return None
