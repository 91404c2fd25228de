"""birealnet: the Bi-Real Net ResNet-18 backend of evogroup (16 binary 3x3 group convs).

Names are imported lazily, so ``import birealnet`` (and loading the backend's entry point)
does not import torch until a model or a FLOP table is asked for. The binary layers,
weight sharing, data, trainer, fitness and FLOP counting it uses live in
:mod:`evogroup.torch`.

Example:
    >>> import birealnet
    >>> len(birealnet.search_space())
    16
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BiRealNet": "birealnet.supernet",
    "SuperNet": "birealnet.supernet",
    "build_model": "birealnet.supernet",
    "search_space": "birealnet.supernet",
    "BiRealNetBackend": "birealnet.backend",
    "BiRealNetOptions": "birealnet.backend",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'birealnet' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
