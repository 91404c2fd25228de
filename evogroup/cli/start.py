"""Starting a command's run: pick the run directory, check or write its config, record the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.cli.strategy_flags import StrategyName
from evogroup.core import launch
from evogroup.core.errors import CheckpointError
from evogroup.core.settings import SearchSettings
from evogroup.rundir import directory
from evogroup.rundir.layout import RunLayout
from evogroup.rundir.lock import RunLock

_D = SearchSettings()
_SETTINGS = {
    "evaluations": click.IntRange(1),
    "population": click.IntRange(1),
    "top_k": click.IntRange(1),
    "crossovers": click.IntRange(0),
    "mutations": click.IntRange(0),
    "iterations": click.IntRange(0),
    "mutation_prob": click.FloatRange(0, 1),
    "seed": click.INT,
    "strategy": StrategyName(),
    "rescore_top": click.IntRange(0),
}


_NEW_RUN = "evogroup.new_run"  # ctx.meta key: the run directory this command started afresh
_RESUMED = "evogroup.resumed_run"  # ctx.meta key: a resumed run directory as it was before

_SIZES = ("evaluations", "population", "crossovers", "mutations", "iterations")
_SPLIT = " [default: the strategy's split of --evaluations; `evogroup strategies`]"
_HELP = {
    "evaluations": "Fitness evaluations in all, the search's budget; the strategy splits them"
    " its own way [default: 1050, the paper's; a backend's recipe may use fewer"
    " on its demo data].",
    "population": "Genomes of the initial population." + _SPLIT,
    "crossovers": "Children by crossover per iteration." + _SPLIT,
    "mutations": "Children by mutation per iteration." + _SPLIT,
    "strategy": "How genomes are proposed; `evogroup strategies` lists every installed strategy"
    " with its split and options.",
    "iterations": "Breeding iterations after the initial population; with --evaluations it must"
    " agree with it." + _SPLIT,
}


def setting_options(*names: str):
    """Click options for the named :class:`SearchSettings` fields (defaults: the paper's),
    plus ``--workers``."""

    def decorate(fn):
        fn = click.option(
            "--workers",
            type=click.IntRange(1),
            default=1,
            show_default=True,
            help="Parallel fitness processes.",
        )(fn)
        for name in reversed(names):
            flag = "--" + name.replace("_", "-")
            sized = name in _SIZES
            fn = click.option(
                flag,
                type=_SETTINGS[name],
                default=None if sized else getattr(_D, name),
                show_default=not sized,
                help=_HELP.get(name),
            )(fn)
        return fn

    return decorate


def recipe_settings(
    ctx: click.Context, backend: Backend, opts: BackendOptions, values: dict[str, Any]
) -> dict[str, Any]:
    """``values`` (search settings as parsed) with the backend's recipe defaults
    (:meth:`~evogroup.backend.base.Backend.search_defaults`) in place of the ones the user
    left at their defaults; a value the user typed is kept. Says which it changed. A recipe's
    sizes give way to any size the user typed (``--evaluations`` with a recipe's
    ``iterations`` would contradict it)."""
    out = dict(values)
    typed_size = any(out.get(k) is not None for k in _SIZES)
    for name, value in backend.search_defaults(opts).items():
        if typed_size and name in _SIZES:
            continue
        if name in out and ctx.get_parameter_source(name) is ParameterSource.DEFAULT:
            out[name] = value
            flag = "--" + name.replace("_", "-")
            if launch.is_main():
                click.echo(
                    f"{flag} {value}: the {backend.name} recipe's for this data ({flag} sets it)"
                )
    return out


def out_option(command: str):
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help=f"Run directory [default: runs/<time>-{command}].",
    )


def start_run(
    command: str,
    backend: Backend,
    opts: BackendOptions,
    out: Path | None,
    resume: bool,
    seed: int,
    extendable: tuple[str, ...] = (),
    *,
    budget: float | None = None,
    search: dict[str, Any] | None = None,
    **extra: Any,
) -> Run:
    """The :class:`Run` of ``command`` in ``out`` (default ``runs/<time>-<command>``).

    ``config.json`` (:class:`~evogroup.rundir.directory.RunConfig`) holds the command, backend,
    options, seed, labels, budget, search settings and ``extra``; resuming needs the same
    values, except the keys in ``extendable``.
    """
    if out is None:
        if resume:
            raise click.UsageError("--resume needs --out DIR: the run directory to continue")
        if launch.world_size() > 1:
            raise click.UsageError("under torchrun, --out DIR is needed: all processes share it")
        out = directory.default_run_dir(command)
    config = directory.RunConfig(
        command,
        backend.name,
        opts.to_json(),
        seed,
        backend.cost_label(opts),
        backend.fitness_label(opts),
        budget,
        search,
        extra,
    )
    device = backend.device(opts)  # a missing GPU is refused before the directory is touched
    if not launch.is_main():  # torchrun: rank 0 alone locks and writes the run directory
        return Run(out, seed=seed, echo=lambda line: None, progress=False, resume=resume)
    layout = RunLayout(out)
    lock = RunLock.acquire(layout, create=not resume)  # held until the command ends
    click.get_current_context().call_on_close(lock.release)
    if resume and layout.config.exists():
        click.get_current_context().meta[_RESUMED] = (layout, directory.Snapshot.take(layout))
    try:
        defaults = {f"options.{k}": v for k, v in backend.options().to_json().items()}
        defaults["extra.budget_min"] = 0.0  # runs from before rank-check and reproduce took it
        resumed = directory.prepare(
            layout, config, resume=resume, extendable=extendable, defaults=defaults
        )
    except CheckpointError:
        lock.abandon()  # leave no empty directory or lock file behind a refused --out
        raise
    if not resumed:
        click.get_current_context().meta[_NEW_RUN] = (layout, lock)
    directory.write_environment(layout, seed, device)
    click.echo(f"{'Resuming' if resumed else 'Run'} {command} in {out}")
    return Run(out, seed=seed, echo=click.echo, resume=resumed)


def discard_new_run(ctx: click.Context) -> None:
    """After a command failed: remove the run directory :func:`start_run` made for it when
    no work was done there (a check refused the command after the directory was made), so
    the corrected command runs in the same ``--out`` without ``--resume``. A directory the
    user made stays (emptied of what the command wrote); a resumed one in which no work was
    done gets its config.json and env.json back, byte for byte."""
    resumed = ctx.meta.pop(_RESUMED, None)
    if resumed is not None:
        layout, snapshot = resumed
        snapshot.restore_if_untouched(layout)
    new = ctx.meta.pop(_NEW_RUN, None)
    if new is not None:
        layout, lock = new
        if directory.discard_unused(layout):
            lock.abandon()
