"""anynet: any torch network as an evogroup backend, by module surgery (no backend code).

Names are imported lazily, so ``import anynet`` (and loading the backends' entry points)
does not import torch until a model is asked for.

Example:
    >>> import torchvision
    >>> from anynet import ModuleSupernet
    >>> net = ModuleSupernet.from_model(torchvision.models.mobilenet_v2(width_mult=0.25))
    >>> len(net.space)  # one gene per depthwise conv
    17
"""

from __future__ import annotations

from evogroup.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ModuleSupernet": "anynet.networks",
        "build_supernet": "anynet.networks",
        "build_network": "anynet.networks",
        "find_genes": "anynet.surgery",
        "build_model": "anynet.factory",
        "TorchvisionBackend": "anynet.backend",
        "ModuleBackend": "anynet.backend",
    },
    globals(),
)
