"""The latency flags shared by the commands that search (``--latency-budget`` and where it
is measured), and the second constraint they add to a problem."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from evogroup.cli.params import typed
from evogroup.core.errors import InfeasibleBudgetError
from evogroup.core.latency import LatencySpec, LatencyTable
from evogroup.core.problem import Limit, Problem
from evogroup.core.units import parse_latency

LATENCY_FLAGS = ("latency_budget", "latency_device", "latency_threads", "latency_batch")


class LatencyType(click.ParamType):
    """A latency with its unit: ``5ms``, ``0.2s``, ``800us`` (read as milliseconds)."""

    name = "latency"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        try:
            return parse_latency(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


LATENCY = LatencyType()


def device_flags(prefix: str = ""):
    """``--[latency-]device``, ``--[latency-]threads``, ``--[latency-]batch``: where a latency
    table is measured (defaults: the CPU, one thread, batch 1)."""

    def decorate(fn):
        for flag, kind, default, text in reversed(
            [
                ("device", str, "cpu", "device the latency is measured on: cpu, cuda or cuda:N"),
                ("threads", int, 1, "CPU threads torch may use while timing"),
                ("batch", int, 1, "images per timed forward pass"),
            ]
        ):
            fn = click.option(
                f"--{prefix}{flag}",
                type=kind,
                default=default,
                show_default=True,
                help=text[0].upper() + text[1:] + ".",
            )(fn)
        return fn

    return decorate


def latency_options(fn):
    """``--latency-budget`` and where the latency is measured, for search-like commands."""
    fn = device_flags("latency-")(fn)
    return click.option(
        "--latency-budget",
        type=LATENCY,
        default=None,
        help="Largest admissible predicted latency, e.g. 5ms (alone or with --budget);"
        " measured by `evogroup latency` at the backend's --resolution.",
    )(fn)


def spec_from(device: str, threads: int, batch: int) -> LatencySpec:
    return LatencySpec(device=device, batch=batch, threads=threads)


def latency_limit(backend: Any, opts: Any, flags: dict[str, Any]) -> Limit | None:
    """The latency bound of ``flags`` (None without ``--latency-budget``): the backend's
    table for the flags' device, checked against the fastest genome first."""
    budget = flags.get("latency_budget")
    if budget is None:
        _check_unused_device_flags()
        return None
    spec = spec_from(flags["latency_device"], flags["latency_threads"], flags["latency_batch"])
    table = backend.latency(spec, opts, echo=lambda line: click.echo(line, err=True))
    check_latency_budget(budget, table)
    return Limit(table.cost, budget, latency_label(table))


def _check_unused_device_flags() -> None:
    """Where a latency is measured means nothing without a latency budget: refused if typed."""
    ctx = click.get_current_context(silent=True)
    given = [n for n in LATENCY_FLAGS[1:] if ctx is not None and typed(ctx, n)]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise click.UsageError(f"{flag} needs --latency-budget: without it no latency is measured")


def check_latency_budget(budget: float, table: LatencyTable) -> None:
    fastest = table.cost.min_genome()
    if table.cost.min_cost > budget:
        raise InfeasibleBudgetError(
            f"--latency-budget {budget:g}ms is below the fastest genome's predicted latency"
            f" {table.cost.min_cost:.3f}ms (genome {list(fastest)}; {latency_label(table)})",
            budget=budget,
            min_cost=table.cost.min_cost,
            genome=fastest,
        )


def latency_label(table: LatencyTable) -> str:
    k = table.key
    return (
        f"latency (ms) on {k.get('device')} ({k.get('device_type')}, {k.get('threads')}"
        f" thread(s), batch {k.get('batch')}, {k.get('resolution')} px)"
    )


def with_limit(problem: Problem, limit: Limit | None, alone: bool) -> Problem:
    """``problem`` bounded by ``limit`` too; ``alone`` (no FLOP budget given): the latency
    becomes the problem's cost and budget instead, the FLOPs unbounded."""
    if limit is None:
        return problem
    if alone:
        return dataclasses.replace(problem, cost=limit.cost, budget=limit.budget, budget_min=0.0)
    return dataclasses.replace(problem, limits=(*problem.limits, limit))
