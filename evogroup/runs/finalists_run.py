"""The finalists stage of a run: trainings from scratch at short schedules choose the winner.

Each fidelity of the ladder trains a genome's static network from scratch for a number
of epochs (``final_epochs``) with the reproduce command's machinery
(:func:`evogroup.runs.reproduce.retrain`: a finished training is read back, one cut off
continues from its last epoch), on the executor the search's fitness runs on, or, under ``torchrun``, one
after another on every process together (each one a DDP training). Then the
proxy's pick is trained at the last rung's schedule too, unless it got there, so that the
summary compares the two at the same schedule; that training is reported beside the
stage and never chooses. Files: ``finalists/`` (trainings and the stage's checkpoint),
``finalists.csv``, ``finalists.png``, and ``result.json``, whose ``best`` becomes the
winner with ``chosen_by`` naming the rung.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.backend.registry import get_backend
from evogroup.core import launch
from evogroup.core.errors import BackendError
from evogroup.core.io import atomic_open, atomic_write_json
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome
from evogroup.executors.workers import Workers, make_executor
from evogroup.finalists.records import Finalists
from evogroup.finalists.stage import finalists
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots
from evogroup.runs.reproduce import retrain
from evogroup.runs.table import Candidate


@dataclass(frozen=True)
class ScratchTraining:
    """A fidelity: the top-1 of ``genome`` trained from scratch for ``epochs`` (picklable)."""

    backend: str
    opts: BackendOptions
    directory: str
    epochs: int
    seed: int

    def __call__(self, genome: Genome) -> float:
        backend = get_backend(self.backend)
        opts = dataclasses.replace(self.opts, final_epochs=self.epochs)
        echo = print if launch.is_main() else lambda line: None
        run = Run(Path(self.directory), self.seed, echo=echo, progress=False, resume=True)
        method = f"{self.epochs}ep-" + "-".join(map(str, genome))
        return retrain(backend, opts, Candidate(method, tuple(genome)), run, self.seed).top1


def check_trains(backend: Backend, opts: BackendOptions) -> None:
    """Refuse ``--finalists`` where the backend cannot train from scratch for given epochs."""
    if "final_epochs" not in {f.name for f in dataclasses.fields(opts)}:
        raise BackendError(
            f"--finalists needs a backend that trains networks from scratch for a number of"
            f" epochs (option --final-epochs); backend {backend.name!r} has none"
        )


def finalists_into(
    backend: Backend,
    opts: BackendOptions,
    problem: Problem,
    result: SearchResult,
    run: Run,
    k: int,
    epochs: list[int],
    eta: int = 3,
    workers: int | Workers = 1,
) -> tuple[Finalists, float | None]:
    """Run the stage in ``run.dir`` and write its files; the winner and the proxy's pick's
    score at the last rung's schedule (None when that training failed).

    Under ``torchrun`` every rank calls it with the same arguments and ``workers`` 1: each
    training is one DDP training of all ranks (:func:`~evogroup.runs.reproduce.retrain`
    hands rank 0's score to every rank), so every rank makes the same choices; rank 0
    alone writes the checkpoint and the files, and the others replay a copy of it."""
    files = run.layout
    fidelities = [
        ScratchTraining(backend.name, opts, str(files.finalists_dir), e, run.seed) for e in epochs
    ]
    ranks = backend.coordinator(opts)
    ranks.check_same(
        (problem.budget, problem.budget_min, problem.proxy, [e.genome for e in result.history]),
        "the search the finalists start from",
    )
    with (
        _checkpoint(files.finalists_dir / "state.json", ranks) as state,
        make_executor(workers) as executor,
    ):
        chosen = finalists(
            problem,
            result,
            fidelities,
            k,
            eta=eta,
            seed=run.seed,
            executor=executor,
            checkpoint=state,
        )
        pick = _pick_score(chosen, fidelities[chosen.rung], executor)
    if launch.is_main():
        save_finalists(chosen, result, files, epochs, pick)
    return chosen, pick


@contextlib.contextmanager
def _checkpoint(state: Path, ranks) -> Iterator[Path]:
    """The stage's checkpoint for this process: ``state`` on rank 0; on the others a private
    copy of rank 0's (read by rank 0, so that a rank that does not see the file yet cannot
    replay a different history and wait in a training the others skip)."""
    if launch.world_size() == 1:
        yield state
        return
    saved = ranks.from_main(lambda: state.read_text() if state.exists() else None)
    if launch.is_main():
        yield state
        return
    with tempfile.TemporaryDirectory(prefix="evogroup-finalists-") as private:
        copy = Path(private) / state.name
        if saved is not None:
            copy.write_text(saved)
        yield copy


def _pick_score(chosen: Finalists, fidelity, executor) -> float | None:
    row = chosen.row(chosen.proxy_pick)
    if row is not None and row.scores[chosen.rung] is not None:
        return row.scores[chosen.rung]
    try:
        return next(iter(executor.map(fidelity, [chosen.proxy_pick])))
    except Exception:  # noqa: BLE001 - the comparison is a report, never the stage's outcome
        return None


def save_finalists(
    chosen: Finalists, result: SearchResult, files: RunLayout, epochs: list[int], pick: float | None
) -> None:
    """``finalists.csv``, ``finalists.png``, and ``result.json`` with the winner as best."""
    names = [f"top1_{e}ep" for e in epochs]
    with atomic_open(files.finalists_csv) as fh:
        writer = csv.writer(fh)
        writer.writerow(["genome", "cost", "proxy", *names, "winner", "proxy_pick", "error"])
        for row in chosen.rows:
            error = next((e for e in row.errors if e), "")
            writer.writerow(
                [
                    " ".join(map(str, row.genome)),
                    row.cost,
                    _blank(row.proxy),
                    *map(_blank, row.scores),
                    row.genome == chosen.best.genome,
                    row.genome == chosen.proxy_pick,
                    error,
                ]
            )
    plots.finalists_scatter(
        chosen.rows, chosen.best.genome, chosen.proxy_pick, files.finalists_plot
    )
    data = result.to_json()
    proxy = {e.genome: e for e in result.history if e.ok}
    rung, score = chosen.best.last
    best = proxy.get(chosen.best.genome) or Evaluation(
        -1, chosen.best.genome, score, chosen.best.cost
    )
    data["best"] = best.to_json()
    data["chosen_by"] = (
        f"finalists rung {rung + 1} of {len(epochs)} ({epochs[rung]} epochs from scratch)"
    )
    data["finalists"] = {
        "proxy_pick": list(chosen.proxy_pick),
        "winner_score": score,
        "proxy_pick_score": pick,
        "epochs": epochs,
    }
    atomic_write_json(files.result, data)


def searched_result(path: Path) -> SearchResult:
    """A search's ``result.json`` as the search left it: where a finalists stage made the
    winner ``best``, the proxy's pick is ``best`` again (the stage starts from the search)."""
    data = json.loads(Path(path).read_text())
    result = SearchResult.from_json(data)
    pick = tuple((data.get("finalists") or {}).get("proxy_pick") or ())
    if pick:
        result.best = next(e for e in result.history if e.genome == pick)
    return result


def summary(chosen: Finalists, pick: float | None, epochs: list[int]) -> str:
    """One line: whether the finalists changed the proxy's pick, by how many points."""
    rung, score = chosen.best.last
    at = f"{epochs[rung]} epochs from scratch"
    if not chosen.changed:
        return f"finalists: the proxy's pick won ({score:.2f} at {at}); it stays the answer"
    versus = "" if pick is None else f" vs {pick:.2f}, {score - pick:+.2f} points"
    return (
        f"finalists: changed the proxy's pick: {','.join(map(str, chosen.best.genome))}"
        f" scores {score:.2f} at {at}{versus} (the proxy's pick)"
    )


def _blank(value: Any) -> Any:
    return "" if value is None else value
