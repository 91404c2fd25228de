"""The evolutionary search of the paper's Algorithm 1, on DEAP's tools.

Iteration 0 evaluates ``population`` genomes sampled under the budget. Every later
iteration breeds ``crossovers`` children by uniform crossover of two top-K parents and
``mutations`` children by mutating one top-K parent, repairs those over budget, drops
genomes already evaluated (filling the shortfall with random feasible genomes), and
evaluates the rest. The top-K archive is elitist over everything evaluated. No genome is
evaluated twice.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from evogroup.checkpoint import SearchState, problem_identity
from evogroup.cost import CostTable
from evogroup.errors import EvogroupError
from evogroup.evaluate import EvaluationLog, Executor, evaluate
from evogroup.io import json_fingerprint
from evogroup.operators import check_feasible, crossover, mutate, repair, sample_feasible
from evogroup.population import Individual, select_top
from evogroup.problem import Problem
from evogroup.result import Evaluation, IterationStats, SearchResult
from evogroup.settings import SearchSettings
from evogroup.space import Genome

_ATTEMPTS_PER_CHILD = 10


def search(
    problem: Problem,
    *,
    population: int = 50,
    top_k: int = 10,
    crossovers: int = 25,
    mutations: int = 25,
    iterations: int = 20,
    mutation_prob: float = 0.1,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    log: str | Path | None = None,
    executor: Executor | None = None,
    callback: Callable[[IterationStats], None] | None = None,
) -> SearchResult:
    """Search the group counts of ``problem`` that maximize fitness within its budget.

    Args:
        problem: space, fitness, cost and budget.
        population, top_k, crossovers, mutations, iterations, mutation_prob, seed: see
            :class:`~evogroup.settings.SearchSettings` (defaults: the paper's).
        checkpoint: a path; the search state is written there atomically after every
            iteration, and a search started with an existing checkpoint resumes from it and
            ends with the result an uninterrupted run would have given.
        log: a JSONL path receiving one line per evaluation as it finishes; on resume the
            evaluations logged after the last checkpoint are reused, not recomputed.
        executor: anything with an in-order ``map`` (a process pool, Ray actors) to
            evaluate genomes in parallel; the fitness must then be picklable.
        callback: called with each iteration's :class:`IterationStats`.

    Returns:
        A :class:`SearchResult` whose ``best`` is the fittest feasible genome.

    Example:
        >>> from evogroup import CostTable, Problem, SearchSpace
        >>> space = SearchSpace.from_channels([16, 16, 32])
        >>> cost = CostTable([{g: 100 / g for g in layer.choices} for layer in space.layers])
        >>> problem = Problem(space, lambda g: -sum(abs(x - 4) for x in g), cost, budget=90)
        >>> search(problem, population=8, iterations=3, seed=1).best.genome
        (4, 4, 4)
    """
    settings = SearchSettings(
        population, top_k, crossovers, mutations, iterations, mutation_prob, seed
    )
    check_feasible(problem)
    identity = problem_identity(
        problem.space.to_json(), _cost_fingerprint(problem), problem.budget, settings.to_json()
    )
    evaluation_log = EvaluationLog(log)
    state, recovered = _start(problem, settings, identity, checkpoint, evaluation_log)
    archive = select_top([], state.history, top_k)
    seen = {e.genome for e in state.history}
    rng = random.Random()
    rng.setstate(state.rng_state)
    while state.next_iteration <= iterations and state.pending:
        start = time.perf_counter()
        new = evaluate(
            problem, state.pending, state.next_iteration,
            executor=executor, log=evaluation_log, recovered=recovered,
        )  # fmt: skip
        state.history.extend(new)
        archive = select_top(archive, new, top_k)
        seen.update(e.genome for e in new)
        parents = [tuple(ind) for ind in archive]
        state.pending, duplicates, repaired = _breed(problem, parents, seen, rng, settings)
        stats = _stats(state.next_iteration, new, archive, duplicates, repaired, start)
        state.iterations.append(stats)
        state.next_iteration += 1
        state.rng_state = rng.getstate()
        if checkpoint is not None:
            state.save(checkpoint)
        if callback is not None:
            callback(stats)
    return _result(state.history, state.iterations, archive, problem, settings.to_json())


def _start(problem, settings, identity, checkpoint, log) -> tuple[SearchState, dict]:
    """A fresh state, or the checkpointed one plus the evaluations logged after it."""
    if checkpoint is not None and Path(checkpoint).exists():
        state = SearchState.load(checkpoint, identity)
        pending = set(state.pending)
        after = log.read()[len(state.history) :]
        recovered = {e.genome: e for e in after if e.genome in pending}
        log.rewrite(state.history)
        return state, recovered
    rng = random.Random(settings.seed)
    pending = _unique(lambda: sample_feasible(problem, rng), settings.population, set())
    log.rewrite([])
    state = SearchState(identity, 0, pending, [], [], rng.getstate())
    if checkpoint is not None:  # so a run killed during iteration 0 resumes from its log
        state.save(checkpoint)
    return state, {}


def _breed(problem, parents, seen, rng, s: SearchSettings) -> tuple[list[Genome], int, int]:
    """Children of the archive, repaired under budget, none already evaluated."""
    taken, children, counts = set(seen), [], {"duplicates": 0, "repaired": 0}

    def child(make: Callable[[], Genome]) -> Callable[[], Genome | None]:
        def draw() -> Genome | None:
            genome = make()
            if not problem.feasible(genome):
                genome = repair(genome, problem, rng)
                counts["repaired"] += 1
            if genome in taken:
                counts["duplicates"] += 1
                return None
            return genome

        return draw

    def crossed() -> Genome:
        if len(parents) < 2:
            return mutated()
        a, b = rng.sample(parents, 2)
        return crossover(a, b, rng)

    def mutated() -> Genome:
        if not parents:
            return sample_feasible(problem, rng)
        return mutate(rng.choice(parents), problem.space, rng, s.mutation_prob)

    for make, count in ((crossed, s.crossovers), (mutated, s.mutations)):
        children += _unique(child(make), count, taken)
    shortfall = s.crossovers + s.mutations - len(children)
    children += _unique(child(lambda: sample_feasible(problem, rng)), shortfall, taken)
    return children, counts["duplicates"], counts["repaired"]


def _unique(draw: Callable[[], Genome | None], count: int, taken: set) -> list[Genome]:
    """Up to ``count`` new genomes from ``draw``, within a bounded number of attempts."""
    out: list[Genome] = []
    for _ in range(count * _ATTEMPTS_PER_CHILD):
        if len(out) == count:
            break
        genome = draw()
        if genome is not None and genome not in taken:
            taken.add(genome)
            out.append(genome)
    return out


def _stats(
    iteration, new: list[Evaluation], archive: list[Individual], dup, rep, start
) -> IterationStats:
    ok = [e.fitness for e in new if e.ok]
    best = archive[0].evaluation if archive else None
    return IterationStats(
        iteration=iteration,
        evaluated=len(new),
        failed=len(new) - len(ok),
        best_fitness=best.fitness if best else math.nan,
        best_cost=best.cost if best else math.nan,
        mean_fitness=statistics.fmean(ok) if ok else math.nan,
        topk_mean=statistics.fmean(i.evaluation.fitness for i in archive) if archive else math.nan,
        duplicates=dup,
        repaired=rep,
        seconds=time.perf_counter() - start,
    )


def _result(history, iterations, archive, problem: Problem, settings: dict) -> SearchResult:
    """The result of a finished run; every evaluation failed is an error naming the first."""
    if not archive:
        errors = [e.error for e in history if e.error]
        first = errors[0] if errors else "no genome was evaluated"
        raise EvogroupError(f"every one of {len(history)} evaluations failed; first error: {first}")
    return SearchResult(
        best=archive[0].evaluation,
        history=list(history),
        iterations=list(iterations),
        budget=problem.budget,
        settings=settings,
        space=problem.space.to_json(),
    )


def _cost_fingerprint(problem: Problem) -> str | None:
    return json_fingerprint(problem.cost.to_json()) if isinstance(problem.cost, CostTable) else None
