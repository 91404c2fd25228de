"""binmobilenet: the binary MobileNetV1 backend of evogroup (modules M1, M2, M3).

Names are imported lazily, so ``import binmobilenet`` (and loading the backend's entry
point) does not import torch until a model or a FLOP table is asked for. The binary
layers, data, trainer, fitness and FLOP counting it uses live in :mod:`evogroup.torch`.

Example:
    >>> import binmobilenet
    >>> space = binmobilenet.search_space("M2")
    >>> net = binmobilenet.SuperNet("M2", num_classes=10, width_mult=0.25)
"""

from __future__ import annotations

from evogroup.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "BinMobileNet": "binmobilenet.supernet",
        "SuperNet": "binmobilenet.supernet",
        "MODULES": "binmobilenet.supernet",
        "build_model": "binmobilenet.supernet",
        "search_space": "binmobilenet.supernet",
        "BinMobileNetBackend": "binmobilenet.backend",
        "BinMobileNetOptions": "binmobilenet.backend",
    },
    globals(),
)
