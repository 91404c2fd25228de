"""Which process of a ``torchrun`` launch this is, read from its environment (torch-free).

``torchrun`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in every process it starts;
a process started any other way is rank 0 of a world of 1. Only rank 0 writes a run's
files and prints; :mod:`evogroup.torch.distributed` joins the processes for training.
"""

from __future__ import annotations

import os


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
