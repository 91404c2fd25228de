"""Peers of evogroup's strategies for ``search_quality.py``: each returns the genome it picks.

- ``spos``: the evolution loop of SPOS's ``search.py`` (Guo et al., 2020), written
  faithfully: a visited set, candidates over budget rejected (random ones drawn until
  legal, mutation/crossover with ``10 x num`` attempts), mutation redraws each gene with
  p = 0.1 from a top-10 parent, crossover of two top-10 parents drawn independently,
  the population refilled with random legal genomes (at most 10^6 draws, where SPOS
  would loop forever); 20 epochs = 1,050 evaluations.
  SPOS ranks the last epoch's candidates never; here the best of all 1,050 is returned.
- ``tpe``: Optuna's TPE sampler, one categorical per layer; genomes over budget are not
  evaluated (the sampler sees them as infeasible through ``constraints_func`` and a
  penalty value), repeats reuse the first value; it stops after as many distinct
  feasible evaluations as the others make (or 2x as many trials: at a 5 % budget many
  of its trials are over budget).
"""

from __future__ import annotations

import random

from evogroup import Problem
from evogroup.core.operators import sample
from evogroup.core.space import Genome


def spos(problem: Problem, seed: int, population=50, select=10, mutations=25, crossovers=25,
         m_prob=0.1, epochs=20) -> Genome:  # fmt: skip
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
    return max(seen, key=seen.__getitem__)


def tpe(problem: Problem, seed: int, evaluations: int = 1050) -> Genome | None:
    """Optuna TPE; None when optuna is not installed."""
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
    study.optimize(objective, n_trials=2 * evaluations, callbacks=[stop])
    return max(seen, key=seen.__getitem__) if seen else None
