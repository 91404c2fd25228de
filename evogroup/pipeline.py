"""The paper's Algorithm 2 and Table 1 ablation, over any backend that can train.

``search_into`` runs a search into a run directory; ``reproduce`` trains the supernet
(through the backend's ``problem``), searches, runs the random-search baseline with as
many evaluations, then retrains from scratch every candidate of the ablation (uniform
groups 1/4/16, a random genome under the budget, the best of random search, the best of
the evolutionary search) and tabulates test accuracy against cost. Every finished step
is saved, so rerunning the same command in the same directory skips it.
"""

from __future__ import annotations

import csv
import json
import random
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evogroup import plots
from evogroup.backend import Backend, Run
from evogroup.baselines import random_search
from evogroup.io import atomic_write_json
from evogroup.operators import sample_feasible
from evogroup.parallel import make_executor
from evogroup.problem import Problem
from evogroup.result import SearchResult
from evogroup.search import search
from evogroup.settings import SearchSettings
from evogroup.space import Genome
from evogroup.units import format_flops


class Progress:
    """Wraps an executor so that a tqdm bar advances with every finished evaluation."""

    def __init__(self, executor: Any, bar: tqdm):
        self.executor, self.bar = executor, bar

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        for value in self.executor.map(fn, *iterables):
            self.bar.update(1)
            yield value


def search_into(
    problem: Problem, settings: SearchSettings, run: Run, workers: int = 1, cost_label: str = "cost"
) -> SearchResult:
    """Search ``problem`` with files in ``run.dir``: checkpoint, log, result, CSV and plots."""
    total = settings.population + settings.iterations * (settings.crossovers + settings.mutations)
    bar = tqdm(total=total, desc="search", unit="genome", disable=not run.progress)

    def on_iteration(stats) -> None:
        bar.set_postfix(
            it=stats.iteration, best=f"{stats.best_fitness:.3f}", cost=format_flops(stats.best_cost)
        )

    with make_executor(workers) as executor, bar:
        result = search(
            problem, **settings.to_json(), checkpoint=run.dir / "checkpoint.json",
            log=run.dir / "evaluations.jsonl", executor=Progress(executor, bar), callback=on_iteration,
        )  # fmt: skip
    save_search(result, run.dir, cost_label)
    return result


def save_search(result: SearchResult, out: Path, cost_label: str = "cost") -> None:
    """``result.json``, ``iterations.csv`` and the two search plots."""
    result.save(out / "result.json")
    rows = [s.to_json() for s in result.iterations]
    with (out / "iterations.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["iteration"])
        writer.writeheader()
        writer.writerows(rows)
    plots.search_progress(result, out / "search_progress.png")
    plots.fitness_vs_cost(result, out / "fitness_vs_cost.png", cost_label)


@dataclass(frozen=True)
class Candidate:
    """One line of the ablation: how the genome was chosen, and the genome."""

    method: str
    genome: Genome

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.method.lower()).strip("-")


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
    opts: dict,
    budget: float,
    settings: SearchSettings,
    run: Run,
    repeats: int = 1,
    workers: int = 1,
) -> list[dict]:
    """Algorithm 2 plus the Table 1 ablation; returns the table rows (also written to disk)."""
    label = backend.cost_label(**opts)
    problem = backend.problem(budget, run, **opts)
    search_run = Run(run.dir / "search", run.seed, run.echo, run.progress, run.device)
    search_run.dir.mkdir(parents=True, exist_ok=True)
    run.echo("evolutionary search")
    evo = search_into(problem, settings, search_run, workers, label)
    rs = _random_search(problem, evo.evaluations, settings.seed, run)
    rows = []
    for cand in candidates(problem, evo, rs, settings.seed):
        metrics = [_retrain(backend, opts, cand, run, run.seed + r) for r in range(repeats)]
        rows.append(_row(cand, problem, metrics, evo, rs))
    write_table(rows, budget, run.dir, label)
    return rows


def _random_search(problem: Problem, evaluations: int, seed: int, run: Run) -> SearchResult:
    path = run.dir / "random_search.json"
    if path.exists():
        return SearchResult.load(path)
    run.echo(f"random search baseline ({evaluations} evaluations)")
    result = random_search(problem, evaluations, seed)
    result.save(path)
    return result


def _retrain(backend: Backend, opts: dict, cand: Candidate, run: Run, seed: int) -> dict:
    out = run.dir / "retrain" / f"{cand.slug}-seed{seed}"
    path = out / "metrics.json"
    if path.exists():
        return json.loads(path.read_text())
    run.echo(f"retraining from scratch: {cand.method} (seed {seed})")
    metrics = dict(
        backend.train(cand.genome, Run(out, seed, run.echo, run.progress, run.device), **opts)
    )
    atomic_write_json(path, metrics)
    return metrics


def _row(
    cand: Candidate, problem: Problem, metrics: list[dict], evo: SearchResult, rs: SearchResult
) -> dict:
    def stat(key: str) -> tuple[float | None, float | None]:
        values = [m[key] for m in metrics if m.get(key) is not None]
        if not values:
            return None, None
        return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)

    top1, top1_std = stat("top1")
    top5, top5_std = stat("top5")
    cost = problem.cost(cand.genome)
    evaluations = {"random search": rs.evaluations, "evolutionary search": evo.evaluations}.get(
        cand.method
    )
    return {
        "method": cand.method, "evaluations": evaluations, "genome": list(cand.genome), "cost": cost,
        "within_budget": cost <= problem.budget, "top1_mean": top1, "top1_std": top1_std,
        "top5_mean": top5, "top5_std": top5_std, "seeds": [m.get("seed") for m in metrics],
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


def write_table(rows: list[dict], budget: float, out: Path, cost_label: str) -> None:
    """``table.md``, ``table.csv``, ``table.json`` and ``acc_vs_flops.png``."""
    (out / "table.md").write_text(markdown_table(rows, budget, cost_label))
    atomic_write_json(out / "table.json", {"budget": budget, "cost": cost_label, "rows": rows})
    with (out / "table.csv").open("w", newline="") as fh:
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
        out / "acc_vs_flops.png",
        cost_label,
    )
