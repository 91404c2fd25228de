"""Calling the fitness: timed, failure-tolerant, in order, logged as it happens."""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from evogroup.core.io import atomic_open
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation
from evogroup.core.space import Genome


class Executor(Protocol):
    """Anything with a ``concurrent.futures``-style ``map`` that yields results in order."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]: ...


def timed_call(
    fitness: Callable[[Genome], float], genome: Genome
) -> tuple[float | None, str | None, float]:
    """``(value, error, seconds)``: a raising or non-finite fitness becomes an error, not a crash."""
    start = time.perf_counter()
    try:
        value = float(fitness(genome))
    except Exception as exc:  # noqa: BLE001 - a user's fitness may fail in any way
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        return None, f"{type(exc).__name__}: {exc}{where}", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if not math.isfinite(value):
        return None, f"fitness returned {value}", seconds
    return value, None, seconds


class EvaluationLog:
    """The JSONL log: one line per evaluation, appended and flushed as each one finishes."""

    def __init__(self, path: str | Path | None):
        self.path = None if path is None else Path(path)

    def read(self) -> list[Evaluation]:
        """Every complete line of the log (a line cut off by a crash is skipped)."""
        if self.path is None or not self.path.exists():
            return []
        records = []
        for line in self.path.read_text().splitlines():
            try:
                records.append(Evaluation.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError):
                continue
        return records

    def rewrite(self, history: Sequence[Evaluation]) -> None:
        if self.path is not None:
            with atomic_open(self.path) as fh:
                fh.writelines(json.dumps(e.to_json()) + "\n" for e in history)

    def append(self, evaluation: Evaluation) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as fh:
                fh.write(json.dumps(evaluation.to_json()) + "\n")


def evaluate(
    problem: Problem,
    genomes: Sequence[Genome],
    iteration: int,
    *,
    executor: Executor | None = None,
    log: EvaluationLog | None = None,
    recovered: dict[Genome, Evaluation] | None = None,
) -> list[Evaluation]:
    """Evaluate ``genomes`` in order; genomes in ``recovered`` (logged before a crash) are not re-run."""
    recovered = recovered or {}
    todo = [g for g in genomes if g not in recovered]
    mapper = executor.map if executor is not None else map
    results = iter(mapper(partial(timed_call, problem.fitness), todo))
    out = []
    for genome in genomes:
        if genome in recovered:
            old = recovered[genome]
            record = Evaluation(iteration, genome, old.fitness, old.cost, old.seconds, old.error)
        else:
            value, error, seconds = next(results)
            record = Evaluation(iteration, genome, value, problem.cost(genome), seconds, error)
        if log is not None:
            log.append(record)
        out.append(record)
    return out
