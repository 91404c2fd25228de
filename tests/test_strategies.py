"""Every strategy: genomes valid and within [budget_min, budget], none evaluated twice, reproducible."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup import Problem, SearchSettings
from evogroup.core.errors import OptionError
from evogroup.core.loop import search
from evogroup.core.plugins import UnknownStrategyError, get_strategy, list_strategies
from evogroup.testing import cost_tables, genomes, search_spaces
from tests.helpers import CountingFitness, strip_timing

STRATEGIES = sorted(list_strategies())
TINY = dict(population=6, top_k=3, crossovers=3, mutations=3, iterations=3)


@st.composite
def ranged_problems(draw, opaque_cost: bool = False):
    """A problem whose range ``[budget_min, budget]`` holds at least one genome."""
    space = draw(search_spaces(max_layers=5))
    table = draw(cost_tables(space))
    inside = table(draw(genomes(space)))
    budget = draw(st.floats(inside, table.max_cost))
    budget_min = draw(st.just(0.0) | st.floats(0, inside))
    cost = (lambda g: table(g)) if opaque_cost else table
    return Problem(space, lambda g: -sum(g) + g[0] % 3, cost, budget, budget_min)


def check_history(problem, result):
    evaluated = [e.genome for e in result.history]
    assert len(set(evaluated)) == len(evaluated) == result.evaluations
    for genome in evaluated:
        assert problem.space.validate(genome) == genome
        assert problem.budget_min <= problem.cost(genome) <= problem.budget


@pytest.mark.parametrize("strategy", STRATEGIES)
@given(problem=ranged_problems(), seed=st.integers(0, 2**16))
def test_every_genome_is_valid_new_and_within_the_range(strategy, problem, seed):
    result = search(problem, **TINY, strategy=strategy, seed=seed)
    check_history(problem, result)
    assert result.budget_min == problem.budget_min
    assert result.best in result.history


@pytest.mark.parametrize("strategy", STRATEGIES)
@given(problem=ranged_problems(opaque_cost=True), seed=st.integers(0, 2**16))
def test_a_plain_callable_cost_is_respected_too(strategy, problem, seed):
    check_history(problem, search(problem, **TINY, strategy=strategy, seed=seed))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_paper_size_run_evaluates_1050_distinct_genomes(synthetic_problem, strategy):
    result = search(synthetic_problem, strategy=strategy, seed=1)
    check_history(synthetic_problem, result)
    assert result.evaluations == 1050


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_result(synthetic_problem, strategy):
    first = search(synthetic_problem, **TINY, strategy=strategy, seed=4)
    again = search(synthetic_problem, **TINY, strategy=strategy, seed=4)
    assert strip_timing(again) == strip_timing(first)
    assert first.settings["strategy"] == strategy


def test_paper_reject_rejects_and_repair_repairs(synthetic_problem):
    tight = replace(synthetic_problem, budget=0.4e8)
    rejected = search(
        tight, **TINY, strategy="paper", strategy_options={"constraint": "reject"}, seed=2
    )
    repaired = search(
        tight, **TINY, strategy="paper", strategy_options={"constraint": "repair"}, seed=2
    )
    assert sum(s.rejected for s in rejected.iterations) > 0
    assert sum(s.repaired for s in rejected.iterations) == 0
    assert sum(s.repaired for s in repaired.iterations) > 0
    assert sum(s.rejected for s in repaired.iterations) == 0


def test_within_range_strategies_neither_repair_nor_reject(synthetic_problem):
    for strategy in ("guided", "nsga2"):
        result = search(replace(synthetic_problem, budget=0.4e8), **TINY, strategy=strategy)
        assert sum(s.repaired + s.rejected for s in result.iterations) == 0


def test_unknown_strategy_names_the_nearest(tiny_problem):
    with pytest.raises(UnknownStrategyError, match=r"did you mean 'nsga2'\?") as info:
        search(tiny_problem, strategy="nsga")
    assert isinstance(info.value, ValueError)
    assert "no strategy named 'nsga'; installed: guided, nsga2, paper" in str(info.value)


def test_unknown_constraint_is_refused(tiny_problem):
    with pytest.raises(
        OptionError, match=r"constraint must be one of reject, repair, but got constraint='clip'"
    ):
        search(tiny_problem, strategy="paper", strategy_options={"constraint": "clip"})


@pytest.mark.parametrize("strategy", ["guided", "nsga2"])
def test_an_option_the_strategy_does_not_have_is_refused(tiny_problem, strategy):
    with pytest.raises(
        OptionError, match=rf"strategy '{strategy}' has no option 'constraint'; it has: none"
    ):
        search(tiny_problem, strategy=strategy, strategy_options={"constraint": "repair"})


def test_the_result_records_every_option_of_the_strategy(tiny_problem):
    result = search(tiny_problem, strategy="paper", population=4, iterations=1)
    assert result.settings["strategy_options"] == {"constraint": "reject"}


def test_settings_round_trip_through_json():
    settings = SearchSettings(
        strategy="paper", strategy_options={"constraint": "repair"}, rescore_top=3, seed=9
    )
    assert SearchSettings(**json.loads(json.dumps(settings.to_json()))) == settings
    assert SearchSettings().strategy == "guided"


def test_every_strategy_is_registered_with_a_summary():
    for name, summary in list_strategies().items():
        assert get_strategy(name).name == name and summary


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_interrupted_then_resumed_equals_uninterrupted(synthetic_problem, tmp_path, strategy):
    files = {"checkpoint": tmp_path / "checkpoint.json", "log": tmp_path / "evaluations.jsonl"}
    settings = dict(population=10, top_k=4, crossovers=5, mutations=5, iterations=4, seed=3)
    expected = search(synthetic_problem, **settings, strategy=strategy)
    stopping = CountingFitness(synthetic_problem.fitness, stop_after=23)
    with pytest.raises(KeyboardInterrupt):
        search(replace(synthetic_problem, fitness=stopping), **settings, strategy=strategy, **files)
    resumed = search(synthetic_problem, **settings, strategy=strategy, **files)
    assert strip_timing(resumed) == strip_timing(expected)
