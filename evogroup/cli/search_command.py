"""``evogroup search``: run the evolutionary search of a backend's problem into a run directory."""

from __future__ import annotations

from pathlib import Path

import click

from evogroup.backend import Backend
from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.params import FLOPS
from evogroup.cli.report import genome_table
from evogroup.cli.start import out_option, setting_options, start_run
from evogroup.pipeline import search_into
from evogroup.result import SearchResult
from evogroup.settings import SearchSettings
from evogroup.units import format_flops


@click.command(cls=BackendCommand, short_help="Search group counts under a FLOP budget.")
@backend_option()
@click.option(
    "--budget", type=FLOPS, required=True, help="Largest admissible cost, e.g. 0.8e8 or 80M."
)
@setting_options(*SearchSettings.__dataclass_fields__)
@out_option("search")
@click.option("--resume", is_flag=True, help="Continue the run in --out.")
@click.pass_context
def search(
    ctx: click.Context, budget: float, out: Path | None, resume: bool, workers: int, **kwargs
) -> None:
    """Search the group count of every layer that maximizes fitness within --budget.

    Writes config.json, env.json, evaluations.jsonl (one line per evaluation, as it
    happens), checkpoint.json (after every iteration), iterations.csv, result.json and
    two plots (search_progress.png, fitness_vs_cost.png).
    """
    backend, opts = split_backend_options(ctx, kwargs)
    settings = SearchSettings(**kwargs)
    backend.check_budget(budget, **opts)
    search_settings = {k: v for k, v in settings.to_json().items() if k != "seed"}
    run = start_run(
        "search", backend, opts, out, resume, settings.seed, ("iterations",),
        budget=budget, cost=backend.cost_label(**opts), **search_settings,
    )  # fmt: skip
    problem = backend.problem(budget, run, **opts)
    result = search_into(problem, settings, run, workers, backend.cost_label(**opts))
    _summary(backend, opts, result, run.dir)


def _summary(backend: Backend, opts: dict, result: SearchResult, out: Path) -> None:
    best = result.best
    click.echo("\nBest genome:")
    click.echo(genome_table(backend.cost_report(best.genome, **opts)))
    click.echo(f"\ngenome   {','.join(map(str, best.genome))}")
    click.echo(
        f"cost     {format_flops(best.cost)} <= budget {format_flops(result.budget)}  ({backend.cost_label(**opts)})"
    )
    click.echo(f"fitness  {best.fitness:.4f}  ({backend.fitness_label(**opts)})")
    click.echo(f"{result.evaluations} evaluations; results in {out}/result.json")
