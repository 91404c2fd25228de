"""Planning under the budget when the cost is a plain function: an additive fit, exact re-checks."""

from __future__ import annotations

import itertools
import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evogroup import CostTable, Layer, Problem, SearchSpace, search
from evogroup.strategies.guided.interactions import InteractionModel
from evogroup.strategies.guided.planning import Planner, dearest_feasible, fit_additive

SPACE = SearchSpace(tuple(Layer(f"w{i}", (1, 2, 3, 4)) for i in range(5)))


def width_product_cost(genome) -> float:
    """FLOPs-like and not additive: each conv costs the product of two neighbouring widths."""
    widths = [5 - g for g in genome]
    return float(sum(a * b for a, b in zip(widths, widths[1:])))


def every_genome(space: SearchSpace):
    return itertools.product(*(layer.choices for layer in space.layers))


def problem(budget: float, cost=width_product_cost) -> Problem:
    return Problem(SPACE, lambda g: float(sum(g)), cost, budget)


def test_an_additive_cost_given_as_a_function_is_fitted_exactly():
    table = CostTable([{1: 9.0, 2: 4.0, 3: 1.0, 4: 0.5}] * 5, constant=2.0)
    fitted, residual = fit_additive(problem(30.0, cost=lambda g: table(g)))
    assert residual < 1e-6
    for genome in itertools.islice(every_genome(SPACE), 0, None, 37):
        assert abs(fitted(genome) - table(genome)) < 1e-6


@given(budget=st.floats(8.0, 60.0), seed=st.integers(0, 2**16))
def test_every_plan_on_a_non_additive_cost_is_within_the_true_budget(budget, seed):
    p = problem(budget)
    planner = Planner(p)
    assert not planner.exact
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=4) for _ in SPACE.layers]
    genome = planner.best(values)
    if genome is not None:
        assert p.feasible(genome), (genome, width_product_cost(genome), budget)
    assert p.feasible(dearest_feasible(p))


def test_the_planned_dearest_genome_spends_nearly_all_of_the_budget():
    for budget in (12.0, 25.0, 40.0):
        p = problem(budget)
        best = max(width_product_cost(g) for g in every_genome(SPACE) if p.feasible(g))
        assert width_product_cost(dearest_feasible(p)) >= 0.85 * best


def test_guided_plans_with_a_plain_cost_function():
    """The default starts from the planned dearest genome and stays within the true budget."""
    p = problem(30.0)
    result = search(p, population=8, crossovers=4, mutations=4, iterations=4, seed=3)
    assert result.history[0].genome == dearest_feasible(p)
    assert all(p.feasible(e.genome) for e in result.history)


def test_the_interaction_model_learns_a_pairwise_effect_the_additive_one_cannot():
    rng = random.Random(0)
    genomes = list({tuple(rng.choice((1, 2, 3)) for _ in range(4)) for _ in range(60)})
    fitness = [float(g[0] == g[1]) for g in genomes]  # a pure interaction, no main effect
    model = InteractionModel(genomes, fitness, ranks=False)
    assert model.rho > 0 and model.skill > 0.5
    assert model.predict([(2, 2, 1, 1)])[0] > model.predict([(2, 3, 1, 1)])[0]
