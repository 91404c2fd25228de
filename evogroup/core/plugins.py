"""Plug-ins through entry-point groups: backends (``evogroup.backends``) and search strategies
(``evogroup.strategies``), the built-in ones registered exactly as a third party's.

Entry points are read lazily and cached; a name registered twice by different packages is
a warning (the first wins), an unknown name an error listing what is installed and the
closest match, a plug-in that fails to load an error naming it (the others stay usable).
"""

from __future__ import annotations

import difflib
import functools
import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from evogroup.core.errors import EvogroupError
from evogroup.core.strategy import Strategy


class UnknownStrategyError(EvogroupError, ValueError):
    """A strategy name that is not one of :func:`list_strategies`, or one that fails to load."""


class EntryPointGroup:
    """The plug-ins of one entry-point group, loaded by name.

    Example:
        >>> group = EntryPointGroup("evogroup.strategies", "strategy", UnknownStrategyError)
        >>> "paper" in group.names()
        True
    """

    def __init__(self, group: str, kind: str, error: type[Exception]):
        self.group, self.kind, self.error = group, kind, error
        self.entry_points = functools.cache(self._read)

    def _read(self) -> dict[str, EntryPoint]:
        found: dict[str, EntryPoint] = {}
        for ep in entry_points(group=self.group):
            if ep.name in found and found[ep.name].value != ep.value:
                warnings.warn(
                    f"two packages register the evogroup {self.kind} {ep.name!r}"
                    f" ({found[ep.name].value} and {ep.value}); using the first",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            found.setdefault(ep.name, ep)
        return found

    def names(self) -> list[str]:
        """The registered names, sorted (nothing is imported)."""
        return sorted(self.entry_points())

    def load(self, name: str) -> Any:
        """The object registered as ``name``.

        Raises:
            the group's error: no such name (listing the installed ones and the closest),
                or the plug-in failed to import.
        """
        eps = self.entry_points()
        if name not in eps:
            close = difflib.get_close_matches(str(name), eps, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.error(
                f"no {self.kind} named {name!r}; installed: {', '.join(sorted(eps)) or 'none'}{hint}"
            )
        try:
            return eps[name].load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
            raise self.error(
                f"{self.kind} {name!r} ({eps[name].value}) failed to load:"
                f" {type(exc).__name__}: {exc}"
            ) from exc


STRATEGIES = EntryPointGroup("evogroup.strategies", "strategy", UnknownStrategyError)


def get_strategy(name: str) -> type:
    """The strategy class registered as ``name`` (a :class:`~evogroup.core.strategy.Strategy`)."""
    cls = STRATEGIES.load(name)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise UnknownStrategyError(
            f"strategy {name!r} ({STRATEGIES.entry_points()[name].value}) is not an"
            " evogroup Strategy subclass"
        )
    return cls


def list_strategies() -> dict[str, str]:
    """Every installed strategy's name and one-line summary (a broken one says why)."""
    out = {}
    for name in STRATEGIES.names():
        try:
            out[name] = get_strategy(name).summary
        except UnknownStrategyError as exc:
            out[name] = f"(failed to load: {exc.__cause__ or exc})"
    return out
