"""A search-like command under a latency budget: the checks before its run directory is
made, the problem with its second constraint, and what it reports."""

from __future__ import annotations

from typing import Any

import click

from evogroup.cli.latency_flags import latency_limit
from evogroup.core.operators import check_feasible
from evogroup.core.problem import Limit, Problem
from evogroup.runs.front_files import save_front


def check_latency(
    backend: Any,
    opts: Any,
    budget: float | None,
    budget_min: float | None,
    flags: dict,
    required: bool = True,
) -> Limit | None:
    """The latency limit of ``flags`` (None without ``--latency-budget``), refused in one
    line when no genome meets it, or none meets it within the FLOP range too; ``required``:
    one of the two budgets must be given."""
    if required and budget is None and flags.get("latency_budget") is None:
        raise click.UsageError("give --budget (FLOPs), --latency-budget (e.g. 5ms), or both")
    if budget is None and budget_min is not None:
        raise click.UsageError("--budget-min needs --budget: it bounds the FLOPs from below")
    limit = latency_limit(backend, opts, flags)
    if limit is not None and budget is not None:
        space, cost = backend.space(opts), backend.cost(opts)
        check_feasible(Problem.unscored(space, cost, budget, budget_min or 0.0, (limit,)))
    return limit


def report_latency(
    backend: Any, opts: Any, result: Any, run: Any, limit: Limit, label: str
) -> None:
    """After a search under a latency budget: ``pareto.csv`` again with a ``flops`` and a
    ``latency_ms`` column, and the best genome's predicted latency."""
    costs = {"flops": backend.cost(opts), "latency_ms": limit.cost}
    save_front(result, run.layout, label, costs)
    ms = limit.cost(result.best.genome)
    click.echo(f"latency  {ms:.3f} ms <= budget {limit.budget:g} ms  ({limit.label}, predicted)")


def latency_config(flags: dict, limit: Limit | None) -> dict[str, Any]:
    """What ``config.json`` records of the latency flags (nothing without a latency budget)."""
    return {} if limit is None else {"latency": {**flags, "label": limit.label}}
