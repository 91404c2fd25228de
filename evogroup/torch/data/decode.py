"""Where JPEGs are decoded, ``--decode``: the choices and the rule that a place must exist
(torch-free, so the options can offer them without importing torch).

Where ``auto`` settles for a dataset is :func:`evogroup.torch.data.loaders.decodes_on_device`.
"""

from __future__ import annotations

from evogroup.core.errors import OptionError
from evogroup.torch.options.choices import check_choice

#: The places JPEGs can be decoded: in loader workers (PIL) or on the device.
DECODES = ("cpu", "gpu")
#: ``--decode``: a place, or ``auto`` (gpu on CUDA for ImageFolder data at 224 px).
DECODE_CHOICES = (*DECODES, "auto")


def check_decode(decode: str, device_type: str) -> str:
    """``decode`` when it is a choice that this device can carry out, else an
    :class:`~evogroup.core.errors.OptionError` naming the rule.

    Example:
        >>> check_decode("auto", "cpu")
        'auto'
        >>> check_decode("gpu", "cpu")
        Traceback (most recent call last):
        ...
        evogroup.core.errors.OptionError: --decode gpu needs a CUDA device, but --device is cpu
    """
    check_choice("--decode", decode, DECODE_CHOICES)
    if decode == "gpu" and device_type != "cuda":
        raise OptionError(f"--decode gpu needs a CUDA device, but --device is {device_type}")
    return decode
