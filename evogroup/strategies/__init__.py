"""Search strategies, one module each, behind ``search(problem, strategy=NAME)``.

- ``guided`` (default): predictor-guided evolution within the budget range
  (:mod:`evogroup.strategies.guided`).
- ``paper``: Algorithm 1 as published, ``constraint`` = ``reject`` or ``repair``
  (:mod:`evogroup.strategies.paper`).
- ``nsga2``: the accuracy-cost front in one run (:mod:`evogroup.strategies.nsga2`).
"""

from __future__ import annotations

import difflib

from evogroup.core.errors import EvogroupError
from evogroup.core.strategy import Offspring, Strategy
from evogroup.strategies.guided import Guided
from evogroup.strategies.nsga2 import NSGA2
from evogroup.strategies.paper import Paper

_STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (Guided, Paper, NSGA2)}


class UnknownStrategyError(EvogroupError, ValueError):
    """A strategy name that is not one of :func:`list_strategies`."""


def list_strategies() -> dict[str, str]:
    """Every strategy's name and one-line summary."""
    return {name: cls.summary for name, cls in _STRATEGIES.items()}


def get_strategy(name: str) -> type[Strategy]:
    """The strategy class called ``name``; an unknown name is an error naming the nearest."""
    if name in _STRATEGIES:
        return _STRATEGIES[name]
    near = difflib.get_close_matches(str(name), list(_STRATEGIES), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise UnknownStrategyError(
        f"strategy in {sorted(_STRATEGIES)} must hold, but got strategy={name!r}{hint}"
    )


__all__ = ["Offspring", "Strategy", "UnknownStrategyError", "get_strategy", "list_strategies"]
