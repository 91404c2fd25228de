"""``evogroup search``: run the evolutionary search of a backend's problem into a run directory."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.executor import executor_options, workers_from
from evogroup.cli.finalists_command import (
    finalist_options,
    finalists_checked,
    run_stage,
    searched_bounds,
    suggestion,
)
from evogroup.cli.latency_flags import LATENCY_FLAGS, latency_options, with_limit
from evogroup.cli.latency_search import check_latency, latency_config, report_latency
from evogroup.cli.params import budget_options, check_budget_range
from evogroup.cli.report import genome_table
from evogroup.cli.start import out_option, recipe_settings, setting_options, start_run
from evogroup.cli.strategy_flags import strategy_flags, strategy_options_from
from evogroup.core import launch
from evogroup.core.configure import configure
from evogroup.core.problem import Limit, Problem
from evogroup.core.result import SearchResult
from evogroup.core.settings import SearchSettings
from evogroup.core.units import format_flops
from evogroup.executors.workers import Workers
from evogroup.rundir.layout import RunLayout
from evogroup.runs.search_run import search_into, supernet_for

SETTINGS = [f for f in SearchSettings.__dataclass_fields__ if f != "strategy_options"]


@click.command(cls=BackendCommand, short_help="Search group counts under a FLOP budget.")
@backend_option()
@budget_options("Largest admissible cost, e.g. 0.8e8 or 80M.", required=False)
@latency_options
@setting_options(*SETTINGS)
@strategy_flags
@executor_options
@finalist_options()
@out_option("search")
@click.option("--resume", is_flag=True, help="Continue the run in --out.")
@click.pass_context
def search(
    ctx: click.Context,
    budget: float | None,
    budget_min: float | None,
    out: Path | None,
    resume: bool,
    workers: int,
    executor: str,
    ray_address: str | None,
    ray_timeout: float | None,
    gpus_per_worker: float | None,
    **kwargs,
) -> None:
    """Search the group count of every layer that maximizes fitness within --budget
    (FLOPs), --latency-budget (predicted ms on a device), or both.

    Writes config.json, env.json, evaluations.jsonl (one line per evaluation, as it
    happens), checkpoint.json (after every iteration), iterations.csv, result.json and
    three figures and the front's table (search_progress.png, fitness_vs_cost.png,
    pareto_front.png, pareto.csv).
    """
    stage = {name: kwargs.pop(name) for name in ("finalists", "finalist_epochs", "eta")}
    backend, opts = split_backend_options(ctx, kwargs)
    where = workers_from(ctx, workers, executor, ray_address, gpus_per_worker, ray_timeout)
    chosen = recipe_settings(ctx, backend, opts, {name: kwargs.pop(name) for name in SETTINGS})
    options = strategy_options_from(
        chosen["strategy"], kwargs.pop("strategy_option"), kwargs.pop("constraint")
    )
    settings = configure(strategy_options=options, **chosen)
    flags = {name: kwargs.pop(name) for name in LATENCY_FLAGS}
    limit = check_latency(backend, opts, budget, budget_min, flags)
    budget_min = check_budget_range(backend, opts, budget, budget_min) if budget else 0.0
    flop_budget = budget or backend.cost(opts).max_cost  # latency alone: every FLOP count
    search_settings = {k: v for k, v in settings.to_json().items() if k != "seed"}
    ladder = finalists_checked(backend, opts, flop_budget, budget_min, **stage)
    run = start_run(
        "search",
        backend,
        opts,
        out,
        resume,
        settings.seed,
        ("search.iterations", "search.evaluations"),
        budget=budget,
        search=search_settings,
        budget_min=budget_min,
        **ladder,
        **latency_config(flags, limit),
    )
    bounds = (flop_budget, budget_min, budget is None)
    _search_and_stage(backend, opts, run, settings, where, bounds, limit, ladder)


def _search_and_stage(
    backend: Backend,
    opts: BackendOptions,
    run: Run,
    settings: SearchSettings,
    where: int | Workers,
    bounds: tuple[float, float, bool],
    limit: Limit | None,
    ladder: dict[str, object],
) -> None:
    """The supernet (under torchrun: on every rank, one DDP training), the search on rank 0,
    then with ``--finalists`` the stage (on every rank, each finalist one DDP training).
    ``bounds``: the FLOP budget, its minimum, and whether the latency limit stands alone."""
    flop_budget, budget_min, alone = bounds
    label = limit.label if alone and limit else backend.cost_label(opts)
    supernet = supernet_for(backend, run, opts)
    ranks = backend.coordinator(opts)
    if not launch.is_main():  # torchrun: rank 0 alone searches
        if ladder:  # the others wait for its result, then train each finalist with it
            result = ranks.from_main(_rank_0s)
            problem = searched_bounds(backend, opts, flop_budget, budget_min, limit, alone)
            _stage(backend, opts, problem, result, run, ladder, where)
        return
    problem = backend.problem(flop_budget, run, opts, supernet, budget_min=budget_min)
    problem = with_limit(problem, limit, alone=alone)
    searched = lambda: search_into(problem, settings, run, where, label)  # noqa: E731
    result = ranks.from_main(searched) if ladder else searched()
    _after_search(backend, opts, problem, result, run, label, limit, ladder, where)


def _after_search(
    backend: Backend,
    opts: BackendOptions,
    problem: Problem,
    result: SearchResult,
    run: Run,
    label: str,
    limit: Limit | None,
    ladder: dict[str, object],
    where: int | Workers,
) -> None:
    """The summary, the latency report under a latency budget, then the finalists stage
    (or, without it, the hint to use it when the supernet is not to be trusted)."""
    _summary(backend, opts, result, run.dir, label)
    if limit is not None:
        report_latency(backend, opts, result, run, limit, label)
    if ladder:
        _stage(backend, opts, problem, result, run, ladder, where)
    elif hint := suggestion(RunLayout(run.dir).fitness):
        click.echo(hint)


def _stage(backend, opts, problem, result, run: Run, ladder: dict, where) -> None:
    k, epochs, eta = ladder["finalists"], ladder["finalist_epochs"], ladder["eta"]
    run_stage(backend, opts, problem, result, run, k, epochs, eta, where)


def _rank_0s() -> SearchResult:
    raise AssertionError("computed on rank 0 alone")  # from_main never calls it elsewhere


def _summary(
    backend: Backend, opts: BackendOptions, result: SearchResult, out: Path, label: str
) -> None:
    best = result.best
    click.echo("\nBest genome:")
    click.echo(genome_table(backend.cost_report(best.genome, opts)))
    click.echo(f"\ngenome   {','.join(map(str, best.genome))}")
    click.echo(
        f"cost     {format_flops(best.cost)} <= budget {format_flops(result.budget)}  ({label})"
    )
    click.echo(f"fitness  {best.fitness:.4f}  ({backend.fitness_label(opts)})")
    trust = _trust(RunLayout(out).fitness)
    if trust:
        click.echo(f"trust    {trust}")
    click.echo(f"{result.evaluations} evaluations; results in {out}/result.json")


def _trust(path: Path) -> str:
    """How far the fitness can be trusted, from the backend's ``fitness.json``: the images it
    is measured on (one image = 100/N points) and a rank check's tau, when there is one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    parts = []
    if data.get("measured_on"):
        parts.append(
            f"measured on {data['measured_on']} images (one image ="
            f" {data['resolution_points']:.2f} points)"
        )
    check = data.get("rank_check")
    if check and check.get("kendall", {}).get("value") is not None:
        k = check["kendall"]
        cost = check.get("cost_kendall") or {}
        beside = "" if cost.get("value") is None else f"; cost alone {cost['value']:.2f}"
        parts.append(
            f"rank check: Kendall tau {k['value']:.2f} (95% CI {k['low']:.2f} to"
            f" {k['high']:.2f}, {check['samples']} genomes{beside})"
        )
    elif "rank_check" in data:
        parts.append("no rank check of this supernet (evogroup rank-check)")
    return "; ".join(parts)
