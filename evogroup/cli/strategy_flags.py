"""``--strategy-option KEY=VALUE`` (any strategy's own options) and ``--constraint`` (the
``paper`` strategy's, by its familiar name): parsed once, here, into the chosen strategy's
typed options, the object that travels in :class:`~evogroup.core.settings.SearchSettings` to
the strategy; an option the strategy does not have, or one given twice with two values, is
refused before the run directory is made."""

from __future__ import annotations

from typing import Any

import click

from evogroup.core.errors import OptionError
from evogroup.core.plugins import STRATEGIES, UnknownStrategyError, get_strategy
from evogroup.core.strategy import StrategyOptions


class StrategyName(click.ParamType):
    """``--strategy``: any strategy registered through the entry-point group
    ``evogroup.strategies`` at the time the command runs (plug-ins included)."""

    name = "strategy"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        try:
            get_strategy(value)
        except UnknownStrategyError as exc:
            self.fail(str(exc), param, ctx)
        return value

    def get_metavar(self, param: Any, *args: Any, **kwargs: Any) -> str:
        return "[" + "|".join(STRATEGIES.names()) + "]"


def strategy_flags(fn):
    """The two options, as keyword arguments ``strategy_option`` and ``constraint``."""
    fn = click.option(
        "--strategy-option",
        "strategy_option",
        multiple=True,
        metavar="KEY=VALUE",
        help="An option of the chosen strategy (repeatable); `evogroup strategies` lists each"
        " strategy's options.",
    )(fn)
    return click.option(
        "--constraint",
        default=None,
        help="Same as --strategy-option constraint=VALUE: how `paper` treats children out of"
        " the budget range (reject or repair) [default: reject].",
    )(fn)


def strategy_options_from(
    strategy: str, pairs: tuple[str, ...], constraint: str | None
) -> StrategyOptions:
    """The options typed for ``strategy``, converted by its declared field types and checked.

    Raises:
        click.BadParameter: a pair without ``=``, a value of the wrong type, an option the
            strategy does not have (naming the strategy and the options it has), or one
            option given two values (``--constraint`` and ``--strategy-option constraint=``).
    """
    cls = get_strategy(strategy)
    fields = {f.name: f for f in cls.Options.fields()}
    raw = [(p.split("=", 1) if "=" in p else (p, None), f"--strategy-option {p}") for p in pairs]
    if constraint is not None:
        raw.append((("constraint", constraint), f"--constraint {constraint}"))
    values, said = {}, {}
    for (key, text), flag in raw:
        if text is None:
            raise click.BadParameter(
                f"KEY=VALUE must hold, but got {key!r}", param_hint="'--strategy-option'"
            )
        value = _typed(fields[key].type, text) if key in fields else text
        if key in values and values[key] != value:
            raise click.UsageError(f"{said[key]} contradicts {flag}: give {key} one value")
        values[key], said[key] = value, flag
    try:
        return cls.parse_options(values)
    except OptionError as exc:
        flag = (
            "'--constraint'"
            if constraint is not None and "constraint" in str(exc)
            else "'--strategy-option'"
        )
        raise click.BadParameter(str(exc), param_hint=flag) from None


def _typed(kind: type, text: str) -> Any:
    if kind is bool:
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            return text  # the option's own check names the rule and the value
    return text
