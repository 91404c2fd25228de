"""``evogroup train-supernet``, ``train``, ``reproduce`` and ``report``: Algorithm 2 as commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.executor import executor_options, workers_from
from evogroup.cli.latency_flags import LATENCY_FLAGS, latency_options
from evogroup.cli.latency_search import check_latency, latency_config
from evogroup.cli.params import budget_options, check_budget_range, read_genome
from evogroup.cli.report import genome_table
from evogroup.cli.start import out_option, recipe_settings, setting_options, start_run
from evogroup.cli.strategy_flags import strategy_flags, strategy_options_from
from evogroup.core import launch
from evogroup.core.configure import configure, described
from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_json
from evogroup.core.result import SearchResult
from evogroup.core.units import format_flops
from evogroup.rundir.directory import RunConfig
from evogroup.rundir.layout import RunLayout
from evogroup.rundir.lock import RunLock
from evogroup.runs import reproduce as reproduction
from evogroup.runs.search_run import save_search
from evogroup.runs.table import markdown_table, write_table


@click.command(
    "train-supernet", cls=BackendCommand, short_help="Train the weight-sharing supernet."
)
@backend_option()
@click.option("--seed", type=int, default=0, show_default=True)
@out_option("train-supernet")
@click.option("--resume", is_flag=True, help="Continue the training in --out from its last epoch.")
@click.pass_context
def train_supernet(ctx: click.Context, seed: int, out: Path | None, resume: bool, **kwargs) -> None:
    """Train the supernet with a random genome per step (Algorithm 2, lines 3-6)."""
    backend, opts = split_backend_options(ctx, kwargs)
    run = start_run("train-supernet", backend, opts, out, resume, seed)
    path = backend.train_supernet(run, opts)
    if launch.is_main():
        click.echo(f"supernet checkpoint: {path}")


@click.command(cls=BackendCommand, short_help="Train one genome's network from scratch.")
@backend_option()
@click.option(
    "--genome",
    required=True,
    help="A search result.json, a comma list, one group count, or a genome the backend names (e.g. native).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@out_option("train")
@click.option("--resume", is_flag=True, help="Continue the training in --out from its last epoch.")
@click.pass_context
def train(
    ctx: click.Context, genome: str, seed: int, out: Path | None, resume: bool, **kwargs
) -> None:
    """Retrain the network of a genome from scratch and evaluate it on test (Algorithm 2, line 8)."""
    backend, opts = split_backend_options(ctx, kwargs)
    genes = read_genome(genome, backend.space(opts), "--genome", backend.named_genomes(opts))
    run = start_run("train", backend, opts, out, resume, seed, genome=list(genes))
    result = backend.train(genes, run, opts)
    if not launch.is_main():  # torchrun: rank 0 alone writes
        return
    atomic_write_json(run.layout.metrics, result.to_json())
    click.echo(genome_table(backend.cost_report(genes, opts)))
    top5 = "" if result.top5 is None else f", top5 {result.top5:.2f}"
    click.echo(
        f"\ntop1 {result.top1:.2f}{top5}; cost {format_flops(result.cost)}; files in {run.dir}"
    )


@click.command(cls=BackendCommand, short_help="Run the paper's pipeline and Table 1 ablation.")
@backend_option()
@budget_options("Largest admissible cost, e.g. 0.8e8.")
@latency_options
@click.option(
    "--repeats",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Retrain seeds per genome.",
)
@setting_options("evaluations", "population", "iterations", "seed", "strategy")
@strategy_flags
@executor_options
@out_option("reproduce")
@click.option("--resume", is_flag=True, help="Continue the run in --out, skipping finished steps.")
@click.pass_context
def reproduce(
    ctx,
    budget,
    budget_min,
    repeats,
    evaluations,
    population,
    iterations,
    seed,
    strategy,
    strategy_option,
    constraint,
    workers,
    executor,
    ray_address,
    ray_timeout,
    gpus_per_worker,
    out,
    resume,
    **kwargs,
) -> None:
    """Supernet, evolutionary search (--strategy: guided by default, paper for Algorithm 1 as
    published), random-search baseline, and every genome retrained from scratch."""
    backend, opts = split_backend_options(ctx, kwargs)
    where = workers_from(ctx, workers, executor, ray_address, gpus_per_worker, ray_timeout)
    sizes = {"evaluations": evaluations, "population": population, "iterations": iterations}
    chosen = recipe_settings(ctx, backend, opts, {**sizes, "seed": seed, "strategy": strategy})
    options = strategy_options_from(strategy, strategy_option, constraint)
    settings = configure(strategy_options=options, **chosen)
    flags = {name: kwargs.pop(name) for name in LATENCY_FLAGS}
    limit = check_latency(backend, opts, budget, budget_min, flags)
    budget_min = check_budget_range(backend, opts, budget, budget_min)
    search_settings = {k: v for k, v in settings.to_json().items() if k != "seed"}
    run = start_run(
        "reproduce",
        backend,
        opts,
        out,
        resume,
        seed,
        ("extra.repeats",),  # more retraining seeds can be added to a finished run
        budget=budget,
        search=search_settings,
        repeats=repeats,
        budget_min=budget_min,
        **latency_config(flags, limit),
    )
    limits = () if limit is None else (limit,)
    rows = reproduction.reproduce(
        backend, opts, budget, settings, run, repeats, where, budget_min, limits=limits
    )
    if not launch.is_main():  # torchrun: every rank trains, rank 0 alone searches and writes
        return
    click.echo("\n" + markdown_table(rows, budget, backend.cost_label(opts)))
    click.echo(f"evolutionary search: {described(settings)}")
    click.echo(f"table.md, table.csv and acc_vs_flops.png in {run.dir}")


@click.command(short_help="Redraw the plots and print the summary of a run directory.")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(run_dir: Path) -> None:
    """Redraw the plots of RUN_DIR and print its summary."""
    files = RunLayout(run_dir)
    if not files.config.exists():
        raise CheckpointError(
            f"{run_dir} is not an evogroup run directory (no {files.config.name})"
        )
    lock = RunLock.acquire(files, create=False)  # it redraws files a live run writes
    click.get_current_context().call_on_close(lock.release)
    config = RunConfig.load(files)
    click.echo(f"{config.command} run of backend {config.backend} with {config.options}")
    for result_path in sorted(run_dir.glob(f"**/{files.result.name}")):
        result = _damaged_is_one_line(result_path, SearchResult.load)
        save_search(result, RunLayout(result_path.parent), config.cost_label)
        best = result.best
        click.echo(
            f"{result_path}: best fitness {best.fitness:.4f}, cost {format_flops(best.cost)}"
            f" (budget {format_flops(result.budget)}), {result.evaluations} evaluations,"
            f" genome {','.join(map(str, best.genome))}"
        )
    if files.table_json.exists():
        table = _damaged_is_one_line(files.table_json, lambda p: json.loads(p.read_text()))
        write_table(table["rows"], table["budget"], files, config.cost_label)
        click.echo("\n" + files.table_md.read_text())
    for path in (files.supernet_csv, files.metrics):
        if path.exists():
            click.echo(f"{path.name}:\n{path.read_text().strip()}")
    click.echo(f"plots redrawn in {run_dir}")


def _damaged_is_one_line(path: Path, load):
    try:
        return load(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path} is damaged or truncated ({exc})") from None


COMMANDS = (train_supernet, train, reproduce, report)
