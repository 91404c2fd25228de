"""``evogroup rank-check``: does the supernet rank genomes as training from scratch does?"""

from __future__ import annotations

from pathlib import Path

import click

from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.params import budget_options, check_budget_range
from evogroup.cli.start import out_option, start_run
from evogroup.runs.rank_check import rank_check


@click.command(
    "rank-check", cls=BackendCommand,
    short_help="Kendall tau between supernet fitness and accuracy after training from scratch.",
)  # fmt: skip
@backend_option()
@click.option(
    "--samples", type=click.IntRange(2), default=12, show_default=True,
    help="Genomes to score and train, spread over the cost range.",
)  # fmt: skip
@budget_options("Largest cost of the sampled genomes [default: the max].", required=False)
@click.option("--seed", type=int, default=0, show_default=True)
@out_option("rank-check")
@click.option("--resume", is_flag=True, help="Continue the check in --out, keeping finished trainings.")
@click.pass_context
def rank_check_command(
    ctx: click.Context, samples: int, budget: float | None, budget_min: float | None, seed: int,
    out: Path | None,
    resume: bool, **kwargs,
) -> None:  # fmt: skip
    """Score --samples genomes with the supernet (with and without BatchNorm recalibration),
    train each from scratch, and print Kendall's tau and Spearman's rho between the two
    rankings with bootstrap 95% intervals and a verdict. Writes rank_check.csv,
    rank_check.json and rank_check.png; a later search with this run's supernet.pt records
    the tau in its fitness.json."""
    backend, opts = split_backend_options(ctx, kwargs)
    budget_min = check_budget_range(backend, opts, budget, budget_min)
    run = start_run("rank-check", backend, opts, out, resume, seed, budget=budget,
                    samples=samples, budget_min=budget_min)  # fmt: skip
    check = rank_check(backend, opts, run, samples=samples, budget=budget,
                       cost_label=backend.cost_label(opts), budget_min=budget_min)  # fmt: skip
    for line in check.lines():
        click.echo(line)
    click.echo(f"rank_check.csv, rank_check.json and rank_check.png in {run.dir}")
