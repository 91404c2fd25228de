"""Click parameter types and argument readers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from evogroup.core.errors import InvalidGenomeError
from evogroup.core.space import Genome, SearchSpace
from evogroup.core.units import format_flops, parse_flops


class FlopsType(click.ParamType):
    """A FLOP count: ``0.8e8``, ``80M``, ``1.5G``."""

    name = "flops"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            return parse_flops(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


FLOPS = FlopsType()


def read_genome(
    text: str,
    space: SearchSpace,
    option: str = "--groups",
    named: Mapping[str, Genome] | None = None,
) -> Genome:
    """A genome from ``text``: one of the backend's ``named`` genomes (e.g. ``native``), one
    group count (uniform, clipped per layer), a comma list, or a JSON file (a search
    ``result.json``, a ``{"genome": [...]}`` object or a list)."""
    if named and text in named:
        return _validated(space, list(named[text]), option)
    path = Path(text)
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise click.BadParameter(
                param_hint=f"'{option}'", message=f"{text} is not valid JSON ({exc})"
            ) from None
        if isinstance(data, dict):
            holder = data.get("best", data)
            data = holder.get("genome") if isinstance(holder, dict) else None
        if not isinstance(data, list):
            raise click.BadParameter(
                param_hint=f"'{option}'",
                message=f"{text} must hold a genome: a list, {{'genome': [...]}} or a search result.json",
            )
        return _validated(space, data, option)
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise click.BadParameter(
            param_hint=f"'{option}'",
            message=f"expected a group count, a comma list of group counts or a JSON file, but got {text!r}",
        ) from None
    if len(values) == 1 and len(space) > 1:
        if values[0] < 1:  # uniform() would clip it up to 1: refuse it instead
            raise click.BadParameter(
                f"a group count >= 1 must hold, but got {values[0]}", param_hint=f"'{option}'"
            )
        return space.uniform(values[0])
    return _validated(space, values, option)


def _validated(space: SearchSpace, genes: list, option: str) -> Genome:
    try:
        return space.validate(genes)
    except InvalidGenomeError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


def budget_options(help_max: str, required: bool = True):
    """``--budget`` and ``--budget-min``: the admissible cost range of a command's genomes."""

    def decorate(fn):
        fn = click.option(
            "--budget-min",
            type=FLOPS,
            default=None,
            help="Smallest admissible cost: genomes must cost at least this much too.",
        )(fn)
        return click.option("--budget", type=FLOPS, required=required, help=help_max)(fn)

    return decorate


def check_budget_range(
    backend: Any, opts: Any, budget: float | None, budget_min: float | None
) -> float:
    """The command's one call of the budget-range check (the core's, through
    :meth:`~evogroup.Backend.check_budget_range`), before its run directory is made; returns
    ``budget_min`` (0 when not given). ``budget`` None stands for the dearest genome. The
    flags' own order is refused here first, in the flags' words."""
    low = budget_min or 0.0
    if budget is None:
        if budget_min is not None:
            backend.check_budget_range(backend.cost(opts).max_cost, low, opts)
        return low
    if low > budget:
        raise click.BadParameter(
            f"--budget-min <= --budget must hold, but got {format_flops(low)} > {format_flops(budget)}",
            param_hint="'--budget-min'",
        )
    backend.check_budget_range(budget, low, opts)
    return low


def typed(ctx: click.Context, name: str) -> bool:
    """Whether the user typed option ``name`` on the command line (not its default)."""
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
