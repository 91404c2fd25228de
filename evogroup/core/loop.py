"""The search loop shared by every strategy, on DEAP's tools.

Iteration 0 evaluates the strategy's initial genomes; every later iteration evaluates the
genomes the strategy breeds from what was evaluated before (:mod:`evogroup.strategies`).
The loop owns what all strategies share: evaluation through any in-order executor, the
JSONL log, a checkpoint after every iteration, resume, the elitist top-K archive over
everything evaluated, statistics, re-scoring of the final top-K, and the rule that no
genome is evaluated twice.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Mapping
from itertools import groupby
from pathlib import Path
from typing import Any

from evogroup.core.configure import configure
from evogroup.core.cost import CostTable
from evogroup.core.errors import EvogroupError, OptionError
from evogroup.core.evaluation import EvaluationLog, Executor, evaluate
from evogroup.core.io import json_fingerprint
from evogroup.core.operators import check_feasible
from evogroup.core.plugins import get_strategy
from evogroup.core.population import Individual, select_top
from evogroup.core.problem import Problem
from evogroup.core.records import Evaluation, IterationStats, Rescored
from evogroup.core.rescore import rescore_final
from evogroup.core.result import SearchResult
from evogroup.core.seam import calling, checked_offspring, checked_ranking
from evogroup.core.settings import SearchSettings
from evogroup.core.space import Genome
from evogroup.core.state import SearchState, problem_identity
from evogroup.core.strategy import Offspring, Strategy, StrategyOptions


def search(
    problem: Problem,
    *,
    evaluations: int | None = None,
    population: int | None = None,
    top_k: int = 10,
    crossovers: int | None = None,
    mutations: int | None = None,
    iterations: int | None = None,
    mutation_prob: float = 0.1,
    seed: int = 0,
    strategy: str | type[Strategy] = "guided",
    strategy_options: StrategyOptions | Mapping[str, Any] | None = None,
    rescore_top: int = 10,
    settings: SearchSettings | None = None,
    checkpoint: str | Path | None = None,
    log: str | Path | None = None,
    executor: Executor | None = None,
    callback: Callable[[IterationStats], None] | None = None,
) -> SearchResult:
    """Search the group counts of ``problem`` that maximize fitness within its budget range.

    Args:
        problem: space, fitness, cost and budget range (and optionally a ``rescore`` fitness).
        evaluations: the budget N of fitness calls; the strategy splits it its own way
            (:meth:`evogroup.Strategy.split`). Default: the paper's 1,050, or what the
            knobs below add up to when some are given.
        population, crossovers, mutations, iterations: the split, for those who want to
            choose it (None: the strategy's own); ``iterations`` with ``evaluations`` must
            agree with it (:func:`evogroup.core.schedule.plan`).
        top_k, mutation_prob, seed: see :class:`~evogroup.core.settings.SearchSettings`.
        strategy: a registered strategy's name, ``guided`` (default), ``paper`` or ``nsga2``
            (:func:`evogroup.list_strategies`), or a :class:`~evogroup.core.strategy.Strategy`
            subclass, registered or not.
        strategy_options: the strategy's own options: its typed ``Options`` or a mapping by
            name, checked against them (e.g. ``{"constraint": "repair"}`` for ``paper``).
        rescore_top: with ``problem.rescore``, how many of the final best genomes to
            re-score; ``result.rescored`` then holds both numbers and ``result.best`` is
            the best re-scored one.
        settings: instead of the fields above, a :class:`SearchSettings` already built
            (:func:`evogroup.core.configure.configure`); it travels to the strategy as it is.
        checkpoint: a path; the search state is written there atomically after every
            iteration, and a search started with an existing checkpoint resumes from it and
            ends with the result an uninterrupted run would have given.
        log: a JSONL path receiving one line per evaluation as it finishes; on resume the
            evaluations logged after the last checkpoint are reused, not recomputed.
        executor: anything with an in-order ``map`` (a process pool, Ray actors) to
            evaluate genomes in parallel; the fitness must then be picklable.
        callback: called with each iteration's :class:`IterationStats`.

    The budget range is checked here too (:func:`evogroup.core.operators.check_feasible`):
    the library's own guard for callers that build a :class:`Problem` by hand; the command
    line checks it once before its run directory is made.

    Returns:
        A :class:`SearchResult`: ``best`` is the fittest genome evaluated (all are within
        the budget range), ``front`` the non-dominated fitness-cost points.

    Example:
        >>> from evogroup import CostTable, Problem, SearchSpace
        >>> space = SearchSpace.from_channels([16, 16, 32])
        >>> cost = CostTable([{g: 100 / g for g in layer.choices} for layer in space.layers])
        >>> problem = Problem(space, lambda g: -sum(abs(x - 4) for x in g), cost, budget=90)
        >>> search(problem, population=8, iterations=3, seed=1).best.genome
        (4, 4, 4)
        >>> search(problem, evaluations=30, seed=1).evaluations
        30
        >>> search(problem, population=8, iterations=3, strategy="paper",
        ...        strategy_options={"constraint": "repair"}).best.genome
        (4, 4, 4)
    """
    sizes = dict(
        evaluations=evaluations,
        population=population,
        crossovers=crossovers,
        mutations=mutations,
        iterations=iterations,
    )
    if settings is None:
        settings = configure(
            strategy,
            strategy_options,
            top_k=top_k,
            mutation_prob=mutation_prob,
            seed=seed,
            rescore_top=rescore_top,
            **sizes,
        )
    elif any(v is not None for v in sizes.values()) or strategy_options is not None:
        raise OptionError("give search() settings or the fields of settings, not both")
    cls = strategy if isinstance(strategy, type) else get_strategy(settings.strategy)
    check_feasible(problem)
    identity = problem_identity(
        problem.space.to_json(),
        _cost_fingerprint(problem),
        problem.budget,
        settings.to_json(),
        problem.budget_min,
    )
    with calling(cls, "__init__()"):
        proposer = cls(problem, settings)
    evaluation_log = EvaluationLog(log)
    state, recovered = _start(problem, proposer, settings, identity, checkpoint, evaluation_log)
    with calling(cls, "observe()"):
        for _, done in groupby(state.history, key=lambda e: e.iteration):
            proposer.observe(list(done))  # replayed on resume: the state is its history's
    _loop(proposer, state, recovered, evaluation_log, checkpoint, executor, callback)
    with calling(cls, "rank()"):
        ranked = checked_ranking(proposer, proposer.rank(state.history), state.history)
    rescored = rescore_final(problem, ranked, settings.rescore_top, executor)
    return _result(state.history, state.iterations, ranked, problem, settings.to_json(), rescored)


def _loop(proposer: Strategy, state: SearchState, recovered, log, checkpoint, executor, callback):
    """Evaluate, observe, breed and checkpoint until ``settings.evaluations`` genomes are
    evaluated or no genome is left."""
    problem, top_k = proposer.problem, proposer.settings.top_k
    archive = select_top([], state.history, top_k)
    seen = {e.genome for e in state.history}
    rng = random.Random()
    rng.setstate(state.rng_state)
    while len(state.history) < proposer.settings.evaluations and state.pending:
        start = time.perf_counter()
        left = proposer.settings.evaluations - len(state.history)  # the last batch is cut
        new = evaluate(
            problem,
            state.pending[:left],
            state.next_iteration,
            executor=executor,
            log=log,
            recovered=recovered,
        )
        state.history.extend(new)
        archive = select_top(archive, new, top_k)
        seen.update(e.genome for e in new)
        with calling(type(proposer), "observe()"):
            proposer.observe(new)
        bred = _breed(proposer, archive, seen, rng)
        state.pending = bred.genomes
        stats = _stats(state.next_iteration, new, archive, bred, start)
        state.iterations.append(stats)
        state.next_iteration += 1
        state.rng_state = rng.getstate()
        if checkpoint is not None:
            state.save(checkpoint)
        if callback is not None:
            callback(stats)


def _breed(proposer: Strategy, archive, seen: set[Genome], rng) -> Offspring:
    """The strategy's next genomes, checked at the seam (:mod:`evogroup.core.seam`)."""
    with calling(type(proposer), "breed()"):
        bred = proposer.breed(archive, set(seen), rng)
    return checked_offspring(proposer, bred, seen, "breed()")


def _start(problem, proposer, settings, identity, checkpoint, log) -> tuple[SearchState, dict]:
    """A fresh state, or the checkpointed one plus the evaluations logged after it."""
    if checkpoint is not None and Path(checkpoint).exists():
        state = SearchState.load(checkpoint, identity)
        pending = set(state.pending)
        after = log.read()[len(state.history) :]
        recovered = {e.genome: e for e in after if e.genome in pending}
        log.rewrite(state.history)
        return state, recovered
    rng = random.Random(settings.seed)
    with calling(type(proposer), "initial()"):
        offspring = proposer.initial(rng)
    pending = checked_offspring(proposer, offspring, (), "initial()").genomes
    log.rewrite([])
    state = SearchState(identity, 0, pending, [], [], rng.getstate())
    if checkpoint is not None:  # so a run killed during iteration 0 resumes from its log
        state.save(checkpoint)
    return state, {}


def _stats(
    iteration, new: list[Evaluation], archive: list[Individual], bred: Offspring, start
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
        duplicates=bred.duplicates,
        repaired=bred.repaired,
        seconds=time.perf_counter() - start,
        rejected=bred.rejected,
    )


def _result(
    history,
    iterations,
    ranked: list[Evaluation],
    problem: Problem,
    settings: dict,
    rescored: list[Rescored] = (),
) -> SearchResult:
    """The result of a finished run; every evaluation failed is an error naming the first.

    ``best`` is the first of ``ranked`` (the strategy's recommendation), or the best
    re-scored genome when there are re-scores.
    """
    if not ranked:
        errors = [e.error for e in history if e.error]
        first = errors[0] if errors else "no genome was evaluated"
        raise EvogroupError(f"every one of {len(history)} evaluations failed; first error: {first}")
    best = ranked[0]
    if rescored and rescored[0].rescored is not None:
        best = next(e for e in ranked if e.genome == rescored[0].genome)
    return SearchResult(
        best=best,
        history=list(history),
        iterations=list(iterations),
        budget=problem.budget,
        settings=settings,
        space=problem.space.to_json(),
        budget_min=problem.budget_min,
        rescored=list(rescored),
    )


def _cost_fingerprint(problem: Problem) -> str | None:
    return json_fingerprint(problem.cost.to_json()) if isinstance(problem.cost, CostTable) else None
