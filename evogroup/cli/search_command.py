"""``evogroup search``: run the evolutionary search of a backend's problem into a run directory."""

from __future__ import annotations

from pathlib import Path

import click

from evogroup import rundir
from evogroup.backend import Backend, Run
from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.params import FLOPS
from evogroup.cli.report import genome_table
from evogroup.pipeline import search_into
from evogroup.result import SearchResult
from evogroup.settings import SearchSettings
from evogroup.units import format_flops

_D = SearchSettings()


@click.command(cls=BackendCommand, short_help="Search group counts under a FLOP budget.")
@backend_option()
@click.option(
    "--budget", type=FLOPS, required=True, help="Largest admissible cost, e.g. 0.8e8 or 80M."
)
@click.option("--population", type=click.IntRange(1), default=_D.population, show_default=True)
@click.option("--top-k", type=click.IntRange(1), default=_D.top_k, show_default=True)
@click.option("--crossovers", type=click.IntRange(0), default=_D.crossovers, show_default=True)
@click.option("--mutations", type=click.IntRange(0), default=_D.mutations, show_default=True)
@click.option("--iterations", type=click.IntRange(0), default=_D.iterations, show_default=True)
@click.option(
    "--mutation-prob", type=click.FloatRange(0, 1), default=_D.mutation_prob, show_default=True
)
@click.option("--seed", type=int, default=_D.seed, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Parallel fitness processes.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory [default: runs/<time>-search].",
)
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
    if out is None:
        if resume:
            raise click.UsageError("--resume needs --out DIR: the run directory to continue")
        out = rundir.default_run_dir("search")
    config = {
        "command": "search", "backend": backend.name, "budget": budget, "options": opts,
        "cost": backend.cost_label(**opts), **settings.to_json(),
    }  # fmt: skip
    resumed = rundir.prepare(out, config, resume=resume, extendable=("iterations",))
    run = Run(out, seed=settings.seed, echo=click.echo)
    rundir.write_environment(out, settings.seed, run.device)
    click.echo(f"{'Resuming' if resumed else 'Search'} run in {out}")
    problem = backend.problem(budget, run, **opts)
    result = search_into(problem, settings, run, workers, backend.cost_label(**opts))
    _summary(backend, opts, result, out)


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
