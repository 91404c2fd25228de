"""The one place a :class:`SearchSettings` is built from what a user gave: the strategy's
split of the evaluation budget (:mod:`evogroup.core.schedule`) and its options, parsed once
into the strategy's typed :class:`~evogroup.core.strategy.StrategyOptions`.

The command line and :func:`evogroup.search` both call :func:`configure`; the object it
returns travels as it is to the strategy (``Strategy(problem, settings)``). JSON is made of
it only for the checkpoint and ``config.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evogroup.core.plugins import get_strategy
from evogroup.core.schedule import plan
from evogroup.core.settings import SearchSettings, check_count
from evogroup.core.strategy import Strategy, StrategyOptions

SIZES = ("evaluations", "population", "crossovers", "mutations", "iterations")


def configure(
    strategy: str | type[Strategy] = "guided",
    strategy_options: StrategyOptions | Mapping[str, Any] | None = None,
    **given: Any,
) -> SearchSettings:
    """Settings for ``strategy`` (a registered name or a Strategy subclass): ``given`` holds
    any :class:`SearchSettings` field by name, None or absent meaning "not given".

    Raises:
        OptionError: an unknown strategy option or a bad value; N and knobs that contradict
            it (:func:`evogroup.core.schedule.plan`).
        InvalidValueError: a setting out of its range (naming the rule and the value).
    """
    cls = strategy if isinstance(strategy, type) else get_strategy(strategy)
    sizes = {k: given.pop(k, None) for k in SIZES}
    for name, value in sizes.items():
        if value is not None:
            check_count(name, value, 0 if name in ("crossovers", "mutations", "iterations") else 1)
    options = parsed_options(cls, strategy_options)
    rest = {k: v for k, v in given.items() if v is not None}
    return SearchSettings(
        strategy=cls.name, strategy_options=options, **plan(cls.split, **sizes), **rest
    )


def parsed_options(
    cls: type[Strategy], values: StrategyOptions | Mapping[str, Any] | None
) -> StrategyOptions:
    """``values`` as ``cls``'s typed options: parsed when a mapping, kept when already typed."""
    if isinstance(values, cls.Options):
        return values
    if isinstance(values, StrategyOptions):
        values = values.to_json()
    return cls.parse_options(values or {})


def described(settings: SearchSettings) -> str:
    """One line naming the strategy, its options and the evaluations, for reports."""
    options = ", ".join(f"{k}={v}" for k, v in _options_json(settings).items())
    return f"strategy {settings.strategy}{f' ({options})' if options else ''}, {settings.evaluations} evaluations"


def _options_json(settings: SearchSettings) -> dict[str, Any]:
    options = settings.strategy_options
    return options.to_json() if isinstance(options, StrategyOptions) else dict(options)
