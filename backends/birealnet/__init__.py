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

from evogroup.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "BiRealNet": "birealnet.supernet",
        "SuperNet": "birealnet.supernet",
        "build_model": "birealnet.supernet",
        "search_space": "birealnet.supernet",
        "BiRealNetBackend": "birealnet.backend",
        "BiRealNetOptions": "birealnet.backend",
    },
    globals(),
)
