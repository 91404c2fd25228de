"""Data: the sources behind ``--data`` (digits, CIFAR-10 batches, ImageFolder trees), their
train / search-val / test splits, JPEG decoding on the device, and every loader.

Imports :mod:`evogroup.torch.device`, :mod:`evogroup.torch.options` and the core.
"""

from evogroup.core.lazy import lazy_exports

# The names of the module this package replaced (``evogroup.torch.data``), imported on use.
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        name: "evogroup.torch.data.sources"
        for name in ("DataSplits", "load_data", "stratified_split")
    },
    globals(),
)
