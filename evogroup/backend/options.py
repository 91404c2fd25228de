"""A backend's typed options: the :mod:`evogroup.core.options` machinery, with the errors of
the backend seam (an unknown option is a :class:`~evogroup.core.errors.BackendError`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evogroup.core.errors import BackendError
from evogroup.core.options import Options


@dataclass(frozen=True)
class BackendOptions(Options):
    """Base of every backend's options dataclass; an empty set of options by itself."""

    @classmethod
    def parse(cls, backend: str, values: dict[str, Any], error: type[Exception] = BackendError):
        """Options from ``values`` (missing ones take their defaults); an unknown name is a
        :class:`BackendError` listing the known ones."""
        return super().parse(f"backend {backend!r}", values, error)
