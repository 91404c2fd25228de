"""``evogroup rank-check``: does the supernet rank genomes as training from scratch does?

With ``--scores FILE.csv`` it judges scores a user already has instead (no backend, no
training): :mod:`evogroup.runs.rank_scores`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from evogroup.cli.backend_command import BackendCommand, split_backend_options
from evogroup.cli.latency_flags import LATENCY_FLAGS, latency_options
from evogroup.cli.latency_search import check_latency, latency_config
from evogroup.cli.params import budget_options, check_budget_range, typed
from evogroup.cli.start import out_option, start_run
from evogroup.runs.rank_check import rank_check
from evogroup.runs.rank_stats import RESAMPLES, statistics_table

_TRAINING_ONLY = (
    "samples",
    "budget",
    "budget_min",
    "out",
    "resume",
    "latency_budget",
)  # meaningless with --scores


@click.command(
    "rank-check",
    cls=BackendCommand,
    short_help="Kendall tau between supernet fitness and accuracy after training from scratch.",
)
@click.option(
    "--backend",
    metavar="NAME",
    help="Backend to use (see `evogroup backends`); needed unless --scores is given.",
)
@click.option(
    "--samples",
    type=click.IntRange(2),
    default=12,
    show_default=True,
    help="Genomes to score and train, over the cost range, denser near the budget.",
)
@budget_options("Largest cost of the sampled genomes [default: the max].", required=False)
@latency_options
@click.option("--seed", type=int, default=0, show_default=True)
@out_option("rank-check")
@click.option(
    "--resume", is_flag=True, help="Continue the check in --out, keeping finished trainings."
)
@click.option(
    "--scores",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Judge the scores in this CSV (columns genome, proxy, truth, cost) instead of"
    " training a supernet and genomes.",
)
@click.option("--json", "as_json", is_flag=True, help="With --scores: print one JSON object.")
@click.option(
    "--resamples",
    type=click.IntRange(0),
    default=RESAMPLES,
    show_default=True,
    help="Bootstrap resamples of every 95% interval (0: no intervals).",
)
@click.pass_context
def rank_check_command(
    ctx: click.Context,
    samples: int,
    budget: float | None,
    budget_min: float | None,
    seed: int,
    out: Path | None,
    resume: bool,
    scores: Path | None,
    as_json: bool,
    resamples: int,
    **kwargs,
) -> None:
    """Score --samples genomes with the supernet (with and without BatchNorm recalibration),
    train each from scratch, and print Kendall's tau and Spearman's rho over all genomes,
    tau over the better half and within cost bins, and regret@1/3/5, each with a bootstrap
    95% interval and beside ranking by cost alone, and a verdict. Writes rank_check.csv,
    rank_check.json and rank_check.png; a later search with this run's supernet.pt records
    the tau in its fitness.json.

    With --scores FILE.csv, the same statistics of the scores in the file."""
    if scores is not None:
        return _judge_file(ctx, scores, as_json, resamples, seed, kwargs.get("backend"))
    _check_training_asked(as_json, kwargs.get("backend"))
    flags = {name: kwargs.pop(name) for name in LATENCY_FLAGS}
    backend, opts = split_backend_options(ctx, kwargs)
    flop_budget = budget or backend.cost(opts).max_cost  # every genome, when not given
    limit = check_latency(backend, opts, flop_budget, budget_min, flags, required=False)
    budget_min = check_budget_range(backend, opts, budget, budget_min)
    run = start_run(
        "rank-check",
        backend,
        opts,
        out,
        resume,
        seed,
        budget=budget,
        samples=samples,
        budget_min=budget_min,
        **latency_config(flags, limit),
    )
    check = rank_check(
        backend,
        opts,
        run,
        samples=samples,
        budget=budget,
        budget_min=budget_min,
        cost_label=backend.cost_label(opts),
        resamples=resamples,
        limits=() if limit is None else (limit,),
    )
    for line in check.lines():
        click.echo(line)
    click.echo(f"rank_check.csv, rank_check.json and rank_check.png in {run.dir}")


def _judge_file(
    ctx: click.Context,
    path: Path,
    as_json: bool,
    resamples: int,
    seed: int,
    backend: str | None,
) -> None:
    from evogroup.runs.rank_scores import judge_scores, read_scores, report_json

    given = [f"--{n}" for n in _TRAINING_ONLY if typed(ctx, n)] + (["--backend"] if backend else [])
    if given:
        raise click.UsageError(
            f"--scores judges the scores in a file; {', '.join(given)}"
            " must not be given with it (they set up a check that trains)"
        )
    data = read_scores(path)
    if data.note:
        click.echo(data.note, err=True)
    judged = judge_scores(data, resamples=resamples, seed=seed)
    if as_json:
        click.echo(json.dumps(report_json(judged, len(data.genomes))))
        return
    click.echo(f"{path}: {len(data.genomes)} genomes, {resamples} bootstrap resamples")
    for line in statistics_table(judged):
        click.echo(line)


def _check_training_asked(as_json: bool, backend: str | None) -> None:
    """A check that trains needs a backend, and writes its JSON into its run directory."""
    if as_json:
        raise click.UsageError(
            "--json needs --scores FILE.csv (a check that trains writes"
            " rank_check.json in its run directory)"
        )
    if backend is None:
        raise click.UsageError(
            "rank-check needs --backend NAME (to train and score genomes)"
            " or --scores FILE.csv (to judge scores you have)"
        )
