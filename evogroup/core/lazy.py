"""Lazy package exports: a name is imported from its module on first use (PEP 562), so
importing a package (or loading a backend's entry point) does not import torch."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
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


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook behind :func:`moved_modules`: an old module path loads the new module."""

    def __init__(self, moved: Mapping[str, str], until: str) -> None:
        self.moved, self.until = dict(moved), until

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in self.moved:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        old, new = module.__name__, self.moved[module.__name__]
        warnings.warn(
            f"{old} moved to {new}; the old path is removed in evogroup {self.until}",
            DeprecationWarning,
            stacklevel=2,
        )
        # The import system hands back whatever sys.modules holds under the old name.
        sys.modules[old] = importlib.import_module(new)


def moved_modules(moved: Mapping[str, str], *, until: str) -> None:
    """Keep old module paths importable for one release: ``import old`` (a key of ``moved``)
    warns with a :class:`DeprecationWarning` and gives the module now at ``moved[old]``."""
    if not any(isinstance(f, _MovedModules) and f.moved == dict(moved) for f in sys.meta_path):
        sys.meta_path.append(_MovedModules(moved, until))
