"""Backend discovery through the entry-point group ``evogroup.backends``
(:class:`~evogroup.core.plugins.EntryPointGroup`): read lazily and cached, a backend that
fails to load is an error naming it while the others stay usable, an unknown name an error
listing what is installed and the closest match."""

from __future__ import annotations

import functools

from evogroup.backend.base import Backend
from evogroup.core.errors import BackendError
from evogroup.core.plugins import EntryPointGroup

BACKENDS = EntryPointGroup("evogroup.backends", "backend", BackendError)


def list_backends() -> list[str]:
    """Names of the installed backends, sorted (nothing is imported)."""
    return BACKENDS.names()


@functools.cache
def get_backend(name: str) -> Backend:
    """The backend registered as ``name``, loaded and instantiated once.

    Raises:
        BackendError: no such backend (the message lists the installed ones and the
            closest name), or it failed to load.
    """
    cls = BACKENDS.load(name)
    backend = cls() if isinstance(cls, type) else cls
    if not isinstance(backend, Backend):
        value = BACKENDS.entry_points()[name].value
        raise BackendError(f"backend {name!r} ({value}) is not an evogroup.Backend")
    return backend


def backend_summaries() -> list[tuple[str, str]]:
    """``(name, one-line summary)`` for each installed backend; a broken one says why."""
    rows = []
    for name in list_backends():
        try:
            rows.append((name, get_backend(name).summary))
        except BackendError as exc:
            rows.append((name, f"(failed to load: {exc.__cause__ or exc})"))
    return rows
