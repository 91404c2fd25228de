"""A fingerprint of a model itself, to key every cache computed from one (FLOP tables,
latency tables).

A table keyed by a name (an import path, an architecture label) goes stale silently when
the code behind the name changes: a stem stride edited from 2 to 1 quadruples every later
layer's cost, yet the name is the same. :func:`model_fingerprint` hashes what the numbers
are computed from instead:

- every submodule's name, class and ``extra_repr()`` (channels, kernel, stride, padding,
  groups, ...), and every parameter's and buffer's name, shape and dtype;
- the source of the modules defining the model's classes outside torch (their ``forward``
  can change the cost without changing a shape), and of any ``sources`` given (the user's
  factory function: its whole module, so an edited helper counts too);
- torch's version (and torchvision's, when loaded), which define the library layers.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Iterable
from typing import Any

from torch import nn

_LIBRARIES = ("torch", "torchvision")


def model_fingerprint(model: nn.Module, sources: Iterable[Any] = ()) -> str:
    """A hex digest that changes whenever ``model``'s structure or defining code does.

    Args:
        model: the built model (any ``nn.Module``).
        sources: more callables, classes or modules whose defining module's source is part
            of the model (a factory function).

    Example:
        >>> a, b = nn.Conv2d(3, 8, 3, stride=2), nn.Conv2d(3, 8, 3, stride=1)
        >>> model_fingerprint(a) == model_fingerprint(nn.Conv2d(3, 8, 3, stride=2))
        True
        >>> model_fingerprint(a) == model_fingerprint(b)
        False
    """
    digest = hashlib.sha256()
    for name, module in model.named_modules():
        cls = type(module)
        digest.update(
            f"{name}|{cls.__module__}.{cls.__qualname__}|{module.extra_repr()}\n".encode()
        )
    for name, tensor in (*model.named_parameters(), *model.named_buffers()):
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}\n".encode())
    code = {type(m).__module__ for m in model.modules()} | {_module_name(s) for s in sources}
    for module_name in sorted(code - {None}):
        digest.update(f"{module_name}\n{_source(module_name)}\n".encode())
    return digest.hexdigest()


def _module_name(obj: Any) -> str | None:
    module = inspect.getmodule(obj)
    return module.__name__ if module is not None else None


def _source(module_name: str) -> str:
    """The module's source; for torch and torchvision, their version."""
    library = module_name.split(".")[0]
    module = sys.modules.get(module_name)
    if library in _LIBRARIES:
        return f"{library} {getattr(sys.modules.get(library), '__version__', '?')}"
    try:
        return inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):  # built in, defined in a notebook, or no file
        return ""
