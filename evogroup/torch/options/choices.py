"""The choices of the torch layer's options, spelled once and torch-free.

The CLI (through the backends' option declarations) and the torch layer
(:mod:`evogroup.torch.device.runtime`, :mod:`evogroup.torch.nn.shared`,
:mod:`evogroup.torch.options.recipe`, :mod:`evogroup.torch.fitness.supernet_fitness`) read
these tuples, so a new kernel, sampling or fitness metric is added here and nowhere else
(where JPEGs are decoded is data loading's own: :mod:`evogroup.torch.data.decode`).
"""

from __future__ import annotations

from collections.abc import Sequence

from evogroup.core.errors import OptionError

__all__ = [
    "KERNELS",
    "KERNEL_CHOICES",
    "METRICS",
    "SAMPLING",
    "check_choice",
]

#: How a weight-sharing conv computes (:mod:`evogroup.torch.nn.shared`, :mod:`evogroup.torch.nn.masked`).
KERNELS = ("grouped", "masked")
#: ``--kernel``: a kernel, or ``auto`` (masked on CUDA, grouped elsewhere).
KERNEL_CHOICES = (*KERNELS, "auto")
#: The supernet's genomes per step (:mod:`evogroup.torch.train.steps`).
SAMPLING = ("uniform", "sandwich")
#: What the supernet's fitness measures on search-val (:mod:`evogroup.torch.fitness.supernet_fitness`):
#: top-1 accuracy (the paper) or the negative cross-entropy.
METRICS = ("accuracy", "loss")


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices``, else an :class:`OptionError` naming the rule.

    Example:
        >>> check_choice("--kernel", "masked", KERNEL_CHOICES)
        'masked'
        >>> check_choice("--kernel", "dense", KERNEL_CHOICES)
        Traceback (most recent call last):
        ...
        evogroup.core.errors.OptionError: --kernel must be one of grouped, masked, auto, but got 'dense'
    """
    if value not in choices:
        raise OptionError(f"{name} must be one of {', '.join(choices)}, but got {value!r}")
    return value  # type: ignore[return-value]
