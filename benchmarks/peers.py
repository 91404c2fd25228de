"""Peers of evogroup's strategies for ``search_quality.py``: each returns the genome it picks.

- ``spos``: the evolution loop of SPOS's ``search.py`` (Guo et al., 2020), written
  faithfully: a visited set, candidates over budget rejected (random ones drawn until
  legal, mutation/crossover with ``10 x num`` attempts), mutation redraws each gene with
  p = 0.1 from a top-10 parent, crossover of two top-10 parents drawn independently,
  the population refilled with random legal genomes (at most 10^6 draws, where SPOS
  would loop forever); 20 epochs = 1,050 evaluations.
  SPOS ranks the last epoch's candidates never; here the best of all 1,050 is returned.
- ``rea``: regularized evolution (Real et al., 2019), the standard NAS-Bench-201 baseline:
  a queue of the ``population`` latest genomes; each step, the best of ``sample`` drawn
  from it is mutated in one gene (redrawn among the others) and the oldest leaves.
  Children over budget or already evaluated are redrawn (up to 100 times, then a random
  genome within budget), so every evaluation is of a new, feasible genome.
- ``tpe``: Optuna's TPE sampler, one categorical per layer; genomes over budget are not
  evaluated (the sampler sees them as infeasible through ``constraints_func`` and a
  penalty value), repeats reuse the first value; it stops after as many distinct
  feasible evaluations as the others make (or 2x as many trials: at a 5 % budget many
  of its trials are over budget).
"""

from __future__ import annotations

import random

from evogroup import Problem
from evogroup.core.operators import sample, sample_feasible
from evogroup.core.space import Genome


def spos(problem: Problem, seed: int, **sizes) -> Genome:
    """SPOS's loop; the best genome it evaluated."""
    seen = spos_history(problem, seed, **sizes)
    return max(seen, key=seen.__getitem__)


def spos_history(
    problem: Problem,
    seed: int,
    population=50,
    select=10,
    mutations=25,
    crossovers=25,
    m_prob=0.1,
    epochs=20,
) -> dict[Genome, float]:
    """Every genome SPOS's loop evaluates, in order, with its fitness:
    ``population * (epochs + 1)`` of them."""
    rng, seen = random.Random(seed), {}
    choices = [layer.choices for layer in problem.space.layers]

    def legal(cand: Genome) -> bool:
        if cand in seen or not problem.feasible(cand):
            return False
        seen[cand] = problem.fitness(cand)
        return True

    def fill(cands: list, num: int) -> None:
        for _ in range(10**6):  # SPOS loops forever once the feasible genomes run out
            if len(cands) >= num:
                break
            cand = sample(problem.space, rng)
            if legal(cand):
                cands.append(cand)

    def bred(make, num: int) -> list:
        res, tries = [], num * 10
        while len(res) < num and tries > 0:
            tries -= 1
            cand = make()
            if legal(cand):
                res.append(cand)
        return res

    def mutate() -> Genome:
        parent = rng.choice(top)
        return tuple(rng.choice(c) if rng.random() < m_prob else g for g, c in zip(parent, choices))

    def cross() -> Genome:
        p1, p2 = rng.choice(top), rng.choice(top)
        return tuple(rng.choice([i, j]) for i, j in zip(p1, p2))

    candidates, top = [], []
    fill(candidates, population)
    for _ in range(epochs):
        top = sorted(top + candidates, key=lambda c: -seen[c])[:select]
        candidates = bred(mutate, mutations) + bred(cross, crossovers)
        fill(candidates, population)
    return seen


def rea(
    problem: Problem, seed: int, evaluations: int, population: int = 20, sample_size: int = 5
) -> dict[Genome, float]:
    """Regularized evolution; every genome evaluated, in order, with its fitness."""
    rng, seen = random.Random(seed), {}
    queue: list[Genome] = []

    def new(make) -> Genome:
        for _ in range(100):
            cand = make()
            if cand not in seen and problem.feasible(cand):
                return cand
        return new_random()

    def new_random() -> Genome:
        for _ in range(10**6):
            cand = sample_feasible(problem, rng)
            if cand not in seen:
                return cand
        raise RuntimeError("every genome within budget was evaluated")

    def mutant() -> Genome:
        parent = max(rng.sample(queue, min(sample_size, len(queue))), key=seen.__getitem__)
        i = rng.randrange(len(parent))
        others = [c for c in problem.space.layers[i].choices if c != parent[i]] or [parent[i]]
        return parent[:i] + (rng.choice(others),) + parent[i + 1 :]

    while len(seen) < evaluations:
        cand = new_random() if len(queue) < population else new(mutant)
        seen[cand] = problem.fitness(cand)
        queue.append(cand)
        if len(queue) > population:
            queue.pop(0)
    return seen


def tpe(problem: Problem, seed: int, evaluations: int = 1050) -> Genome | None:
    """Optuna TPE's best genome; None when optuna is not installed."""
    seen = tpe_history(problem, seed, evaluations)
    return max(seen, key=seen.__getitem__) if seen else None


def tpe_history(
    problem: Problem, seed: int, evaluations: int, trials: int | None = None
) -> dict[Genome, float] | None:
    """Every genome TPE evaluates, in order, with its fitness; None without optuna. It
    stops at ``evaluations`` distinct feasible genomes or ``trials`` (default 2x) trials."""
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seen: dict[Genome, float] = {}
    layers = problem.space.layers
    new_api = hasattr(optuna.trial.Trial, "set_constraint")  # optuna >= 5

    def objective(trial) -> float:
        genome = tuple(trial.suggest_categorical(layer.name, layer.choices) for layer in layers)
        excess = problem.cost(genome) - problem.budget
        if new_api:
            trial.set_constraint("cost - budget", excess)
        else:
            trial.set_user_attr("constraint", (excess,))
        if excess > 0:
            return min(seen.values(), default=0.0)
        if genome not in seen:
            seen[genome] = problem.fitness(genome)
        return seen[genome]

    def stop(study, _trial) -> None:
        if len(seen) >= evaluations:
            study.stop()

    old_api = {} if new_api else {"constraints_func": lambda t: t.user_attrs["constraint"]}
    sampler = optuna.samplers.TPESampler(seed=seed, **old_api)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=trials or 2 * evaluations, callbacks=[stop])
    return seen
