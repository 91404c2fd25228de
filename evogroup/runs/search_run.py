"""The search command's job, Algorithm 2 lines 1-6 and the search: the supernet a search
scores genomes on (trained if needed), the problem, and a search into a run directory with
its checkpoint, log, result, CSV, plots and front."""

from __future__ import annotations

import csv
from pathlib import Path

from tqdm import tqdm

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.core.loop import search
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.settings import SearchSettings
from evogroup.core.units import format_flops
from evogroup.executors.workers import Workers, make_executor
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots
from evogroup.runs.front_files import save_front
from evogroup.runs.progress import Progress


def supernet_for(backend: Backend, run: Run, opts: BackendOptions) -> Path | None:
    """The supernet a search scores genomes on: the one the user gave, else one trained
    (or finished, when the directory already holds part of it) into ``run.dir``."""
    if not backend.needs_supernet:
        return None
    given = backend.given_supernet(opts)
    if given is not None:
        return given
    path = run.layout.supernet
    if path.exists():
        run.echo(f"no --supernet given: using (and finishing, if needed) the one in {path}")
    else:
        run.echo(f"no --supernet given: training one into {path} (reused by --resume)")
    # Always continued when present: a search killed while training its supernet picks
    # up from the last finished epoch.
    resuming = run.child(run.dir)
    resuming.resume = True
    return backend.train_supernet(resuming, opts)


def search_into(
    problem: Problem,
    settings: SearchSettings,
    run: Run,
    workers: int | Workers = 1,
    cost_label: str = "cost",
) -> SearchResult:
    """Search ``problem`` with files in ``run.dir``: checkpoint, log, result, CSV and plots.

    ``workers`` (a count of local processes, or a :class:`~evogroup.executors.workers.Workers`)
    says where candidates are evaluated; the result does not depend on it."""
    total = settings.evaluations  # N, however the strategy splits it
    if problem.rescore is not None:  # the final top-K is scored again through the same executor
        total += settings.rescore_top
    bar = tqdm(
        total=total,
        desc=f"search ({settings.evaluations} evaluations)",
        unit="genome",
        disable=not run.progress,
    )
    files = run.layout

    def on_iteration(stats) -> None:
        bar.set_postfix(
            it=stats.iteration, best=f"{stats.best_fitness:.3f}", cost=format_flops(stats.best_cost)
        )

    with make_executor(workers) as executor, bar:
        result = search(
            problem,
            settings=settings,
            checkpoint=files.checkpoint,
            log=files.evaluations,
            executor=Progress(executor, bar),
            callback=on_iteration,
        )
    save_search(result, files, cost_label)
    return result


def save_search(result: SearchResult, files: RunLayout, cost_label: str = "cost") -> None:
    """``result.json``, ``iterations.csv``, the two search plots, and the accuracy-cost
    front (``pareto.csv``, ``pareto_front.png``)."""
    result.save(files.result)
    rows = [s.to_json() for s in result.iterations]
    with files.iterations_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["iteration"])
        writer.writeheader()
        writer.writerows(rows)
    plots.search_progress(result, files.progress_plot)
    plots.fitness_vs_cost(result, files.fitness_plot, cost_label)
    save_front(result, files, cost_label)
