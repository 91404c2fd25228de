"""Which process of a ``torchrun`` launch this is, read from its environment (torch-free).

``torchrun`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in every process it starts;
a process started any other way is rank 0 of a world of 1. Only rank 0 writes a run's
files and prints; :mod:`evogroup.torch.distributed` joins the processes for training.
:func:`from_main` and :func:`check_same` let the torch-free pipeline coordinate the ranks:
they import torch only under ``torchrun`` (a world of more than 1 process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

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


def from_main(compute: Callable[[], T]) -> T:
    """``compute()`` run on rank 0 alone and its value returned on every rank; in a world
    of 1, just ``compute()``. See :func:`evogroup.torch.distributed.from_main`."""
    if world_size() == 1:
        return compute()
    from evogroup.torch.distributed import from_main as torch_from_main

    return torch_from_main(compute)


def check_same(value: Any, what: str) -> None:
    """Fail loudly on every rank when ``value`` differs between ranks (nothing in a world
    of 1). See :func:`evogroup.torch.distributed.check_same`."""
    if world_size() > 1:
        from evogroup.torch.distributed import check_same as torch_check_same

        torch_check_same(value, what)
