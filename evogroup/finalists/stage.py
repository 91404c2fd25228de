"""``finalists``: choose k finalists, train them up a ladder of fidelities, return the winner."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from evogroup.core.cost import CostTable
from evogroup.core.errors import EvogroupError, OptionError
from evogroup.core.evaluation import Executor, timed_call
from evogroup.core.io import json_fingerprint
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome
from evogroup.finalists.choice import FinalistChooser
from evogroup.finalists.ladder import promoted, rung_sizes, winner
from evogroup.finalists.records import FinalistRow, Finalists, Trained
from evogroup.finalists.store import TrainingStore

COUNTED = 200_000  # spaces up to this size have their genomes within the range counted


def finalists(
    problem: Problem,
    result: SearchResult,
    fidelities: Sequence[Callable[[Genome], float]],
    k: int,
    *,
    eta: int = 3,
    seed: int = 0,
    executor: Executor | None = None,
    checkpoint: str | Path | None = None,
) -> Finalists:
    """Train ``k`` finalists of a finished search and let the trainings, not the proxy, pick.

    Rung 0 trains ``k`` genomes chosen one after another by a model refitted to every
    score so far (:mod:`evogroup.finalists.choice`); then successive halving keeps the best
    ``1/eta`` of each rung for the next, dearer fidelity (:mod:`evogroup.finalists.ladder`).

    Args:
        problem: the problem searched (its fitness is not called).
        result: the search's result; its history is the evidence the choice starts from.
        fidelities: callables genome -> score, higher is better, cheapest first (e.g. a
            training of 1 epoch, then of 4). A call that raises is recorded and not promoted.
        k: finalists at the first rung: the stage's budget is ``k`` trainings there.
        eta: the halving factor, at least 2.
        seed: seeds the choice; same inputs and seed, same finalists and winner.
        executor: anything with an in-order ``map``; it trains one round of finalists at
            once (as many as its ``workers``).
        checkpoint: a path written after every training; an existing one is resumed from,
            no training in it is made again, and the winner is the uninterrupted run's.

    Returns:
        :class:`~evogroup.finalists.records.Finalists`: ``best.genome`` is the winner.

    Example:
        >>> from evogroup import CostTable, Problem, SearchSpace, search
        >>> space = SearchSpace.from_channels([8, 8, 8])
        >>> cost = CostTable([{g: 8 / g for g in layer.choices} for layer in space.layers])
        >>> problem = Problem(space, lambda g: -sum(g), cost, budget=12, proxy=True)
        >>> result = search(problem, population=8, iterations=2, seed=0)
        >>> trained = lambda g: -abs(g[0] - 2) - abs(g[1] - 2) - abs(g[2] - 4)
        >>> finalists(problem, result, [trained], k=8).best.genome
        (2, 2, 4)
    """
    k, eta = check_k(problem, k), _checked_eta(eta)
    fidelities = _checked_fidelities(fidelities)
    batch = max(1, int(getattr(executor, "workers", 1) or 1)) if executor is not None else 1
    identity = _identity(problem, result, len(fidelities), k, eta, seed, batch)
    store = TrainingStore(checkpoint, identity)
    chooser = FinalistChooser(problem, result, seed)
    first: list[Trained] = []
    while len(first) < k:
        genomes = chooser.propose(first, min(batch, k - len(first)))
        if not genomes:
            break
        first += _train(store, 0, fidelities[0], genomes, executor)
    rungs = [first]
    for rung, size in enumerate(rung_sizes(k, len(fidelities), eta)[1:], start=1):
        genomes = promoted(rungs[-1], size)
        if not genomes:
            break
        rungs.append(_train(store, rung, fidelities[rung], genomes, executor))
    return _assembled(problem, result, rungs, len(fidelities))


def _train(store: TrainingStore, rung: int, fidelity, genomes, executor) -> list[Trained]:
    """Train each genome at ``rung`` unless the store has it; stored as each one finishes."""
    todo = [g for g in genomes if store.get(rung, g) is None]
    mapper = executor.map if executor is not None else map
    results = mapper(partial(timed_call, fidelity), todo)
    for genome, (value, error, seconds) in zip(todo, results):
        store.add([Trained(rung, genome, value, seconds, error)])
    return [store.get(rung, g) for g in genomes]


def _assembled(problem, result: SearchResult, rungs: list[list[Trained]], count: int) -> Finalists:
    proxy = {e.genome: e.fitness for e in result.history if e.ok}
    by_rung = [{t.genome: t for t in rung} for rung in rungs]
    rows = []
    for trained in rungs[0]:
        at = [by_rung[r].get(trained.genome) if r < len(rungs) else None for r in range(count)]
        rows.append(
            FinalistRow(
                trained.genome,
                proxy.get(trained.genome),
                problem.cost(trained.genome),
                tuple(t.score if t else None for t in at),
                tuple(t.error if t else None for t in at),
            )
        )
    for rung in reversed(range(len(rungs))):
        genome = winner(rungs[rung])
        if genome is not None:
            best = next(r for r in rows if r.genome == genome)
            history = [t for r in rungs for t in r]
            return Finalists(best, rows, rung, result.best.genome, history)
    errors = [t.error for t in rungs[0] if t.error]
    raise EvogroupError(
        f"every one of {len(rungs[0])} finalists' trainings failed; first error: {errors[0]}"
    )


def _identity(problem: Problem, result: SearchResult, rungs, k, eta, seed, batch) -> dict:
    cost = problem.cost.to_json() if isinstance(problem.cost, CostTable) else None
    archive = [[list(e.genome), e.fitness] for e in result.history]
    return {
        "space": problem.space.fingerprint(),
        "cost": cost and json_fingerprint(cost),
        "budget": problem.budget,
        "budget_min": problem.budget_min,
        "proxy": problem.proxy,
        "archive": json_fingerprint(archive),
        "rungs": rungs,
        "k": k,
        "eta": eta,
        "seed": seed,
        "batch": batch,
    }


def check_k(problem: Problem, k) -> int:
    """``k`` itself, or an :class:`OptionError` when it is below 1 or above the genomes within
    the budget range (counted up to ``k`` in a space of at most ``COUNTED`` genomes)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise OptionError(f"finalists: k >= 1 must hold, but got k={k!r}")
    space = problem.space
    if space.size <= COUNTED:
        genomes = itertools.product(*(layer.choices for layer in space.layers))
        within = sum(1 for _ in itertools.islice(filter(problem.feasible, genomes), k))
    else:
        within = min(space.size, k)
    if within < k:
        raise OptionError(
            f"finalists: k <= {within} must hold (the genomes of the space within the budget"
            f" range), but got k={k}"
        )
    return k


def _checked_eta(eta) -> int:
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise OptionError(f"finalists: eta >= 2 (an integer) must hold, but got eta={eta!r}")
    return eta


def _checked_fidelities(fidelities) -> list:
    fidelities = list(fidelities) if not callable(fidelities) else [fidelities]
    if not fidelities or not all(callable(f) for f in fidelities):
        raise OptionError(
            "finalists: fidelities must be a non-empty sequence of callables genome -> score,"
            f" cheapest first, but got {fidelities!r}"
        )
    return fidelities
