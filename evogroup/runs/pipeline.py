"""The paper's Algorithm 2 and Table 1 ablation, over any backend that can train.

``search_problem`` trains (or takes) the supernet and builds the problem; ``search_into``
runs a search into a run directory; ``reproduce`` does both, runs the random-search
baseline with as many evaluations, then retrains from scratch every candidate of the ablation (uniform
groups 1/4/16, a random genome under the budget, the best of random search, the best of
the evolutionary search) and tabulates test accuracy against cost. Every finished step
is saved, so rerunning the same command in the same directory skips it.

Under ``torchrun`` every rank trains the supernet and each retraining together (DDP);
rank 0 alone searches, decides what is already finished, and writes files, and
the backend's :meth:`~evogroup.Backend.coordinator` hands its decisions to the other ranks.
"""

from __future__ import annotations

import csv
import json
import random
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.core import launch
from evogroup.core.io import atomic_write_json
from evogroup.core.loop import search
from evogroup.core.operators import sample_feasible
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.settings import SearchSettings
from evogroup.core.space import Genome
from evogroup.core.units import format_flops
from evogroup.executors.workers import Workers, make_executor
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots
from evogroup.runs.baselines import random_search
from evogroup.runs.front_files import save_front


class Progress:
    """Wraps an executor so that a tqdm bar advances with every finished evaluation."""

    def __init__(self, executor: Any, bar: tqdm):
        self.executor, self.bar = executor, bar

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        for value in self.executor.map(fn, *iterables):
            self.bar.update(1)
            yield value


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


def search_problem(
    backend: Backend, opts: BackendOptions, budget: float, run: Run, budget_min: float = 0.0
) -> Problem:
    """Algorithm 2, lines 1-6: the supernet (trained if needed), then the search problem
    within ``[budget_min, budget]`` (the command checked the range before it started)."""
    supernet = supernet_for(backend, run, opts)
    return backend.problem(budget, run, opts, supernet, budget_min=budget_min)


def search_into(
    problem: Problem, settings: SearchSettings, run: Run, workers: int | Workers = 1,
    cost_label: str = "cost",
) -> SearchResult:  # fmt: skip
    """Search ``problem`` with files in ``run.dir``: checkpoint, log, result, CSV and plots.

    ``workers`` (a count of local processes, or a :class:`~evogroup.executors.workers.Workers`)
    says where candidates are evaluated; the result does not depend on it."""
    total = settings.population + settings.iterations * (settings.crossovers + settings.mutations)
    if problem.rescore is not None:  # the final top-K is scored again through the same executor
        total += settings.rescore_top
    bar = tqdm(total=total, desc="search", unit="genome", disable=not run.progress)
    files = run.layout

    def on_iteration(stats) -> None:
        bar.set_postfix(
            it=stats.iteration, best=f"{stats.best_fitness:.3f}", cost=format_flops(stats.best_cost)
        )

    with make_executor(workers) as executor, bar:
        result = search(
            problem, **settings.to_json(), checkpoint=files.checkpoint, log=files.evaluations,
            executor=Progress(executor, bar), callback=on_iteration,
        )  # fmt: skip
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


@dataclass(frozen=True)
class Candidate:
    """One line of the ablation: how the genome was chosen, and the genome."""

    method: str
    genome: Genome


def candidates(problem: Problem, evo: SearchResult, rs: SearchResult, seed: int) -> list[Candidate]:
    """The genomes of the paper's Table 1 ablation, in the table's order."""
    space = problem.space
    return [
        Candidate("groups = 1", space.uniform(1)),
        Candidate("groups = 4", space.uniform(4)),
        Candidate("groups = 16", space.uniform(16)),
        Candidate("random genome", sample_feasible(problem, random.Random(seed))),
        Candidate("random search", rs.best.genome),
        Candidate("evolutionary search", evo.best.genome),
    ]


def reproduce(
    backend: Backend,
    opts: BackendOptions,
    budget: float,
    settings: SearchSettings,
    run: Run,
    repeats: int = 1,
    workers: int | Workers = 1,
    budget_min: float = 0.0,
) -> list[dict]:
    """Algorithm 2 plus the Table 1 ablation within ``[budget_min, budget]`` (checked by the
    command before it started); returns the table rows (also written to disk).

    Under ``torchrun`` every rank calls it: all train the supernet, rank 0 alone runs both
    searches, then all retrain rank 0's candidates in its order (each a DDP training),
    and all return rank 0's rows; rank 0 alone writes files."""
    label = backend.cost_label(opts)
    supernet = supernet_for(backend, run, opts)  # on every rank: one DDP training
    problem, evo, rs = None, None, None  # rank 0's alone

    def search_on_main() -> list[Candidate]:
        nonlocal problem, evo, rs
        problem = backend.problem(budget, run, opts, supernet, budget_min=budget_min)
        search_run = run.child(run.layout.search_dir.dir)
        search_run.dir.mkdir(parents=True, exist_ok=True)
        run.echo("evolutionary search")
        evo = search_into(problem, settings, search_run, workers, label)
        rs = _random_search(problem, evo.evaluations, settings.seed, run)
        return candidates(problem, evo, rs, settings.seed)

    ranks = backend.coordinator(opts)
    chosen = ranks.from_main(search_on_main)
    trained = [[retrain(backend, opts, cand, run, run.seed + r) for r in range(repeats)]
               for cand in chosen]  # fmt: skip

    def table_on_main() -> list[dict]:
        rows = [_row(c, problem, results, evo, rs) for c, results in zip(chosen, trained)]
        write_table(rows, budget, run.layout, label)
        return rows

    return ranks.from_main(table_on_main)


def _random_search(problem: Problem, evaluations: int, seed: int, run: Run) -> SearchResult:
    path = run.layout.random_search
    if path.exists():
        return SearchResult.load(path)
    run.echo(f"random search baseline ({evaluations} evaluations)")
    result = random_search(problem, evaluations, seed)
    result.save(path)
    return result


def retrain(
    backend: Backend, opts: BackendOptions, cand: Candidate, run: Run, seed: int
) -> TrainResult:
    """Train ``cand``'s genome from scratch with ``seed`` (kept: a finished one is read back).

    Under ``torchrun`` every rank calls it with the same candidate, and rank 0, which alone
    writes ``metrics.json``, decides whether the training is finished: were each rank to
    look for the file, one that missed it (another machine, a file system slow to show it)
    would start a DDP training the others skip, and hang until its collectives time out."""
    files = run.layout.retrain_dir(cand.method, seed)
    ranks = backend.coordinator(opts)
    finished = ranks.from_main(lambda: _finished(files.metrics))
    if finished is not None:
        return finished
    ranks.check_same((cand.method, seed, tuple(cand.genome)), "the genome to retrain")
    run.echo(f"retraining from scratch: {cand.method} (seed {seed})")
    result = backend.train(cand.genome, run.child(files.dir, seed), opts)
    if launch.is_main():
        atomic_write_json(files.metrics, result.to_json())
    return result


def _finished(metrics: Path) -> TrainResult | None:
    if not metrics.exists():
        return None
    return TrainResult.from_json(json.loads(metrics.read_text()))


def _row(
    cand: Candidate, problem: Problem, results: list[TrainResult], evo: SearchResult,
    rs: SearchResult,
) -> dict:  # fmt: skip
    def stat(values: list[float | None]) -> tuple[float | None, float | None]:
        values = [v for v in values if v is not None]
        if not values:
            return None, None
        return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)

    top1, top1_std = stat([r.top1 for r in results])
    top5, top5_std = stat([r.top5 for r in results])
    cost = problem.cost(cand.genome)
    evaluations = {"random search": rs.evaluations, "evolutionary search": evo.evaluations}.get(
        cand.method
    )
    return {
        "method": cand.method, "evaluations": evaluations, "genome": list(cand.genome), "cost": cost,
        "within_budget": cost <= problem.budget, "top1_mean": top1, "top1_std": top1_std,
        "top5_mean": top5, "top5_std": top5_std, "seeds": [r.seed for r in results],
    }  # fmt: skip


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def markdown_table(rows: list[dict], budget: float, cost_label: str) -> str:
    lines = [
        f"Budget {format_flops(budget)} — {cost_label}", "",
        "| method | top-1 (%) | top-5 (%) | cost | within budget | seeds |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in rows:
        name = r["method"] + (f" ({r['evaluations']} evals)" if r.get("evaluations") else "")
        lines.append(
            f"| {name} | {_pm(r['top1_mean'], r['top1_std'])} | {_pm(r['top5_mean'], r['top5_std'])}"
            f" | {format_flops(r['cost'])} | {'yes' if r['within_budget'] else 'no'} | {len(r['seeds'])} |"
        )
    return "\n".join(lines) + "\n"


def write_table(rows: list[dict], budget: float, files: RunLayout, cost_label: str) -> None:
    """``table.md``, ``table.csv``, ``table.json`` and ``acc_vs_flops.png``."""
    files.table_md.write_text(markdown_table(rows, budget, cost_label))
    atomic_write_json(files.table_json, {"budget": budget, "cost": cost_label, "rows": rows})
    with files.table_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {
                **r,
                "genome": ",".join(map(str, r["genome"])),
                "seeds": ",".join(map(str, r["seeds"])),
            }
            for r in rows
        )
    plots.accuracy_vs_cost(
        [r for r in rows if r["top1_mean"] is not None],
        budget,
        files.table_plot,
        cost_label,
    )
