"""``evogroup strategies``: every installed strategy, its split of the evaluations, and its
options (type, default, choices or range, help)."""

from __future__ import annotations

import click

from evogroup.core.options import Field
from evogroup.core.plugins import STRATEGIES, UnknownStrategyError, get_strategy
from evogroup.core.schedule import DEFAULT_EVALUATIONS

SHOWN = (160, 400, DEFAULT_EVALUATIONS)  # values of N whose split is shown


@click.command(short_help="List installed strategies and their options.")
def strategies() -> None:
    """List the strategies installed through the `evogroup.strategies` entry points, each with
    its split of N evaluations (--evaluations) and its options (set them with --strategy-option
    KEY=VALUE on search and reproduce)."""
    for name in STRATEGIES.names():
        try:
            cls = get_strategy(name)
        except UnknownStrategyError as exc:
            click.echo(f"{name}  (failed to load: {exc.__cause__ or exc})\n")
            continue
        click.echo(f"{name}  {cls.summary}")
        click.echo("  split of N evaluations: " + "; ".join(_split(cls, n) for n in SHOWN))
        fields = cls.Options.fields()
        if not fields:
            click.echo("  options: none")
        for field in fields:
            click.echo(
                f"  {field.name}={_kind(field)} [default: {field.default}]  {field.spec.help}"
            )
        click.echo("")


def _split(cls: type, evaluations: int) -> str:
    split = cls.split(evaluations)
    rest = f" + {split.children} per iteration" if split.children else " at once"
    return f"{evaluations}: {split.population}{rest}"


def _kind(field: Field) -> str:
    spec = field.spec
    if spec.choices:
        return "|".join(map(str, spec.choices))
    kind = field.type.__name__.upper()
    if spec.low is not None or spec.high is not None:
        low = "" if spec.low is None else f"{spec.low:g}{'<' if spec.low_open else '<='}"
        high = "" if spec.high is None else f"<={spec.high:g}"
        kind = f"{kind} ({low}x{high})"
    return kind + (" or none" if field.optional else "")
