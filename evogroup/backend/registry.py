"""Backend discovery through the entry-point group ``evogroup.backends``.

Entry points are read lazily and cached; a backend that fails to load is a warning
(the others stay usable), an unknown name is an error listing what is installed and
the closest match.
"""

from __future__ import annotations

import difflib
import functools
import warnings
from importlib.metadata import EntryPoint, entry_points

from evogroup.backend.base import Backend
from evogroup.core.errors import BackendError

GROUP = "evogroup.backends"


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            warnings.warn(
                f"two packages register the evogroup backend {ep.name!r}"
                f" ({found[ep.name].value} and {ep.value}); using the first",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        found.setdefault(ep.name, ep)
    return found


def list_backends() -> list[str]:
    """Names of the installed backends, sorted (nothing is imported)."""
    return sorted(_entry_points())


@functools.cache
def get_backend(name: str) -> Backend:
    """The backend registered as ``name``, loaded and instantiated once.

    Raises:
        BackendError: no such backend (the message lists the installed ones and the
            closest name), or it failed to load.
    """
    eps = _entry_points()
    if name not in eps:
        close = difflib.get_close_matches(name, eps, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BackendError(
            f"no backend named {name!r}; installed: {', '.join(sorted(eps)) or 'none'}{hint}"
        )
    try:
        cls = eps[name].load()
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
        raise BackendError(
            f"backend {name!r} ({eps[name].value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    backend = cls() if isinstance(cls, type) else cls
    if not isinstance(backend, Backend):
        raise BackendError(f"backend {name!r} ({eps[name].value}) is not an evogroup.Backend")
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
