"""The reproduce command's job: the paper's Algorithm 2 and Table 1 ablation, over any
backend that can train.

Trains (or takes) the supernet, searches, runs the random-search baseline with as many
evaluations, then retrains from scratch every candidate of the ablation (uniform groups
1/4/16, a random genome under the budget, the best of random search, the best of the
evolutionary search) and tabulates test accuracy against cost (:mod:`evogroup.runs.table`).
Every finished step is saved, so rerunning the same command in the same directory skips it.

Under ``torchrun`` every rank trains the supernet and each retraining together (DDP);
rank 0 alone searches, decides what is already finished, and writes files, and
the backend's :meth:`~evogroup.Backend.coordinator` hands its decisions to the other ranks.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.core import launch
from evogroup.core.configure import described
from evogroup.core.io import atomic_write_json
from evogroup.core.operators import sample_feasible
from evogroup.core.problem import Limit, Problem
from evogroup.core.result import SearchResult
from evogroup.core.settings import SearchSettings
from evogroup.executors.workers import Workers
from evogroup.runs.baselines import random_search
from evogroup.runs.search_run import search_into, supernet_for
from evogroup.runs.table import Candidate, table_row, write_table


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
    limits: tuple[Limit, ...] = (),
) -> list[dict]:
    """Algorithm 2 plus the Table 1 ablation within ``[budget_min, budget]`` (checked by the
    command before it started); returns the table rows (also written to disk).

    Under ``torchrun`` every rank calls it: all train the supernet, rank 0 alone runs both
    searches, then all retrain rank 0's candidates in its order (each a DDP training),
    and all return rank 0's rows; rank 0 alone writes files. ``limits`` (e.g. a latency
    budget) bound both searches too."""
    label = backend.cost_label(opts)
    supernet = supernet_for(backend, run, opts)  # on every rank: one DDP training
    problem, evo, rs = None, None, None  # rank 0's alone

    def search_on_main() -> list[Candidate]:
        nonlocal problem, evo, rs
        problem = backend.problem(budget, run, opts, supernet, budget_min=budget_min)
        problem = dataclasses.replace(problem, limits=limits) if limits else problem
        search_run = run.child(run.layout.search_dir.dir)
        search_run.dir.mkdir(parents=True, exist_ok=True)
        run.echo(f"evolutionary search: {described(settings)}")
        evo = search_into(problem, settings, search_run, workers, label)
        rs = _random_search(problem, evo.evaluations, settings.seed, run)
        return candidates(problem, evo, rs, settings.seed)

    ranks = backend.coordinator(opts)
    chosen = ranks.from_main(search_on_main)
    trained = [
        [retrain(backend, opts, cand, run, run.seed + r) for r in range(repeats)] for cand in chosen
    ]

    def table_on_main() -> list[dict]:
        rows = [table_row(c, problem, results, evo, rs) for c, results in zip(chosen, trained)]
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
    would start a DDP training the others skip, and hang until its collectives time out.
    For the same reason every rank returns rank 0's result: a choice made from it (the
    finalists' next genome) is then the same on every rank."""
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
    return ranks.from_main(lambda: result)


def _finished(metrics: Path) -> TrainResult | None:
    if not metrics.exists():
        return None
    return TrainResult.from_json(json.loads(metrics.read_text()))
