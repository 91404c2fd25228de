"""The accuracy-cost front: non-dominated, answers any budget, hypervolume, pareto.csv."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup.core.front import Front
from evogroup.core.loop import search
from evogroup.core.records import Evaluation
from evogroup.rundir.layout import RunLayout
from evogroup.runs.front_files import save_front

points = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 20), st.booleans()), min_size=1, max_size=30
)


def history_of(rows):
    return [
        Evaluation(0, (i,), float(f) if ok else None, float(c), error=None if ok else "failed")
        for i, (f, c, ok) in enumerate(rows)
    ]


def dominates(a, b):
    return (
        a.fitness >= b.fitness and a.cost <= b.cost and (a.fitness, a.cost) != (b.fitness, b.cost)
    )


@given(points)
def test_front_points_are_mutually_non_dominated_and_dominate_the_rest(rows):
    history = history_of(rows)
    front = Front.from_history(history)
    assert all(not dominates(a, b) for a in front.points for b in front.points)
    for e in history:
        if e.ok and e not in front.points:
            assert any(
                dominates(p, e) or (p.fitness, p.cost) == (e.fitness, e.cost) for p in front.points
            )


@given(points, st.integers(0, 20))
def test_best_under_agrees_with_a_brute_force_filter(rows, budget):
    history = history_of(rows)
    within = [e for e in history if e.ok and e.cost <= budget]
    best = Front.from_history(history).best_under(budget)
    if not within:
        assert best is None
    else:
        assert best.fitness == max(e.fitness for e in within)
        assert best.cost == min(e.cost for e in within if e.fitness == best.fitness)


def test_hypervolume_of_a_staircase():
    front = Front.from_history(history_of([(1, 2, True), (3, 5, True)]))
    assert front.hypervolume(ref_cost=10, ref_fitness=0) == (5 - 2) * 1 + (10 - 5) * 3


@pytest.fixture(scope="module")
def nsga2_result():
    from evogroup.backend.registry import get_backend

    return search(get_backend("synthetic").problem(0.8e8), strategy="nsga2", iterations=5)


def test_nsga2_front_answers_budgets_like_the_history(nsga2_result):
    costs = sorted(e.cost for e in nsga2_result.history)
    front = nsga2_result.front
    assert len(front) > 10
    for budget in costs[:: len(costs) // 7]:
        within = [e for e in nsga2_result.history if e.ok and e.cost <= budget]
        assert front.best_under(budget).fitness == max(e.fitness for e in within)


def test_save_front_writes_pareto_csv_and_a_plot(nsga2_result, tmp_path):
    front = save_front(nsga2_result, RunLayout(tmp_path), "FLOPs")
    with (tmp_path / "pareto.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["cost"]) for r in rows] == [e.cost for e in front.points]
    assert [tuple(map(int, r["genome"].split(","))) for r in rows] == [
        e.genome for e in front.points
    ]
    assert (tmp_path / "pareto_front.png").stat().st_size > 0
