"""Lazy package exports: a name is imported from its module on first use (PEP 562), so
importing a package (or loading a backend's entry point) does not import torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], names: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` whose name ``n`` lives in
    ``exports[n]``; ``names`` is the package's own ``globals()``::

        __getattr__, __dir__, __all__ = lazy_exports(__name__, {"Net": "pkg.net"}, globals())
    """

    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def dir_() -> list[str]:
        return sorted(set(names) | set(exports))

    return getattr_, dir_, sorted(exports)


@dataclass(frozen=True)
class Imported:
    """A callable named ``"package.module:name"``, imported on its first call; picklable, so
    a worker process imports it itself (a backend names its network classes this way and
    loading the backend imports no torch).

    Example:
        >>> Imported("fractions:Fraction")(3, 6)
        Fraction(1, 2)
    """

    path: str

    def __post_init__(self) -> None:
        module, _, name = self.path.partition(":")
        if not module or not name:
            raise ValueError(f"'package.module:name' must hold, but got {self.path!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, _, name = self.path.partition(":")
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
