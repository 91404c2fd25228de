"""``--finalists K [--finalist-epochs 1,4] [--eta 3]`` of ``evogroup search``, and
``evogroup finalists --out RUN``: trainings from scratch choose the winner of a search."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.backend.registry import get_backend
from evogroup.cli.executor import executor_options, workers_from
from evogroup.cli.latency_flags import latency_limit, with_limit
from evogroup.cli.start import setting_options
from evogroup.core import launch
from evogroup.core.errors import CheckpointError
from evogroup.core.problem import Problem
from evogroup.executors.workers import Workers
from evogroup.finalists.stage import check_k
from evogroup.rundir.directory import RunConfig
from evogroup.rundir.layout import RunLayout
from evogroup.rundir.lock import RunLock
from evogroup.runs.finalists_run import check_trains, finalists_into, searched_result, summary

DEFAULT_EPOCHS = "1,4"


def parse_epochs(text: str) -> list[int]:
    """``"1,4"`` -> ``[1, 4]``: increasing positive epochs, one rung each."""
    try:
        epochs = [int(part) for part in text.split(",")]
    except ValueError:
        epochs = []
    if not epochs or epochs[0] < 1 or any(b <= a for a, b in zip(epochs, epochs[1:])):
        raise click.BadParameter(
            f"increasing positive integers separated by commas must hold, but got {text!r}",
            param_hint="--finalist-epochs",
        )
    return epochs


def finalist_options(default: int | None = None):
    """``--finalists``, ``--finalist-epochs``, ``--eta`` as ``finalists``, ``finalist_epochs``,
    ``eta``; ``default`` None leaves the stage off."""
    return lambda fn: _finalist_options(fn, default)


def _finalist_options(fn, default: int | None):
    fn = click.option(
        "--eta",
        type=click.IntRange(2),
        default=3,
        show_default=True,
        help="Successive halving: each rung keeps the best 1/eta of the one before.",
    )(fn)
    fn = click.option(
        "--finalist-epochs",
        default=DEFAULT_EPOCHS,
        show_default=True,
        help="The ladder: epochs of each rung's training from scratch, cheapest first.",
    )(fn)
    return click.option(
        "--finalists",
        type=click.IntRange(1),
        default=default,
        show_default=default is not None,
        help="Train K finalists from scratch after the search and let them choose the winner"
        " (K trainings at the first rung; see docs/guide.md).",
    )(fn)


def check_finalists(backend: Backend, opts: BackendOptions, k: int, epochs: str, problem: Problem):
    """Every check of the stage's options, before a run directory is touched."""
    check_trains(backend, opts)
    check_k(problem, k)
    return parse_epochs(epochs)


def finalists_checked(
    backend,
    opts,
    budget: float,
    budget_min: float,
    finalists: int | None,
    finalist_epochs: str,
    eta: int,
) -> dict:
    """``search``'s stage settings for ``config.json`` (empty when ``--finalists`` is not
    given), checked before the run directory is made."""
    if finalists is None:
        ctx = click.get_current_context()
        for name in ("finalist_epochs", "eta"):  # a typed value is used or refused
            if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE:
                flag = "--" + name.replace("_", "-")
                raise click.UsageError(
                    f"{flag} sets the finalists stage, which needs --finalists K"
                )
        return {}
    problem = Problem.unscored(backend.space(opts), backend.cost(opts), budget, budget_min)
    epochs = check_finalists(backend, opts, finalists, finalist_epochs, problem)
    return {"finalists": finalists, "finalist_epochs": epochs, "eta": eta}


def suggestion(fitness_json: Path) -> str:
    """A hint to use ``--finalists`` when the backend's rank check (``fitness.json``) says
    the supernet ranks no better than cost alone, or its tau's interval holds 0."""
    try:
        check = json.loads(fitness_json.read_text()).get("rank_check") or {}
    except (OSError, ValueError, AttributeError):
        return ""
    tau = (check.get("kendall") or {}).get("value")
    if tau is None:
        return ""
    low = check["kendall"].get("low")
    cost = (check.get("cost_kendall") or {}).get("value")
    if (low is not None and low > 0) and (cost is None or tau > cost):
        return ""
    return (
        "hint     the rank check does not trust this supernet: --finalists 4 (or `evogroup"
        " finalists --out RUN`) trains finalists from scratch and lets them choose"
    )


def _searched_problem(backend, opts, config: RunConfig, result) -> Problem:
    """The bounds the search ran under, its latency limit included (the table measured
    again, or loaded, for the device the search named), without its fitness."""
    flags = {k: v for k, v in config.extra.get("latency", {}).items() if k != "label"}
    limit = latency_limit(backend, opts, flags) if flags else None
    flop_budget = config.budget if limit is not None else result.budget
    budget_min = result.budget_min if config.budget is not None or limit is None else 0.0
    flop_budget = flop_budget or backend.cost(opts).max_cost
    return searched_bounds(backend, opts, flop_budget, budget_min, limit, config.budget is None)


def searched_bounds(
    backend, opts, flop_budget: float, budget_min: float, limit, alone: bool
) -> Problem:
    """The problem a search of ``backend`` ran under (FLOP range, latency ``limit``, alone
    when there was no FLOP budget) without its fitness: what the finalists' choice needs."""
    bounds = Problem.unscored(backend.space(opts), backend.cost(opts), flop_budget, budget_min)
    bounds = with_limit(bounds, limit, alone=alone)
    return dataclasses.replace(bounds, proxy=backend.needs_supernet)  # as the search's was


def stage_workers(where: Workers) -> Workers | int:
    """Where the stage trains: ``where``, or under ``torchrun`` in every process together,
    one finalist after another (each one a DDP training)."""
    return 1 if launch.world_size() > 1 else where


def run_stage(backend, opts, problem, result, run: Run, k, epochs, eta, where) -> None:
    """The stage on every rank (under ``torchrun``); rank 0 alone prints its summary."""
    chosen, pick = finalists_into(
        backend, opts, problem, result, run, k, epochs, eta, stage_workers(where)
    )
    if launch.is_main():
        click.echo(summary(chosen, pick, epochs))
        click.echo(f"finalists.csv, finalists.png and result.json (best: the winner) in {run.dir}")


@click.command("finalists", short_help="Train finalists of a finished search from scratch.")
@click.option(
    "--out",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The run directory of a finished search.",
)
@setting_options()
@executor_options
@finalist_options(default=4)
def finalists_command(
    out: Path,
    workers: int,
    executor: str,
    ray_address: str | None,
    ray_timeout: float | None,
    gpus_per_worker: float | None,
    finalists: int,
    finalist_epochs: str,
    eta: int,
) -> None:
    """Train finalists of the search in --out from scratch; the trainings choose the winner.

    Continues a stage cut off in --out (no finished training is made again). Writes
    finalists/, finalists.csv, finalists.png, and result.json with the winner as best.
    Under torchrun each finalist trains on every process together (DDP), one at a time.
    """
    ctx = click.get_current_context()
    where = workers_from(ctx, workers, executor, ray_address, gpus_per_worker, ray_timeout)
    if launch.world_size() > 1 and (where.kind == "ray" or (where.count or 1) > 1):
        raise click.UsageError(
            "under torchrun every finalist trains on all its processes (DDP), one at a time:"
            f" --workers 1 and --executor local must hold, but got --workers"
            f" {where.count or 'all'} --executor {where.kind}"
        )
    layout = RunLayout(out)
    config = RunConfig.load(layout)
    if config.command != "search" or not layout.result.exists():
        raise CheckpointError(f"{out} holds no finished search (no {layout.result.name})")
    backend = get_backend(config.backend)
    opts = backend.options(**config.options)
    result = searched_result(layout.result)
    problem = _searched_problem(backend, opts, config, result)
    epochs = check_finalists(backend, opts, finalists, finalist_epochs, problem)
    if launch.is_main():  # torchrun: rank 0 alone locks and writes the run directory
        lock = RunLock.acquire(layout, create=False)
        ctx.call_on_close(lock.release)
    main = launch.is_main()
    run = Run(out, config.seed, echo=click.echo if main else lambda line: None, progress=main)
    run_stage(backend, opts, problem, result, run, finalists, epochs, eta, where)
