"""The strategy contract: tests every search strategy must pass, to be subclassed by its suite.

Set the class attributes and pytest collects the inherited tests::

    from evogroup.testing import StrategyContract

    class TestMyStrategy(StrategyContract):
        strategy = "mine"                 # a registered name, or the Strategy subclass itself
        strategy_options = {"temperature": 0.5}

Each test runs small searches (a few hundred fitness calls of a cheap, interacting synthetic
fitness, no torch) and checks what the loop promises its users whatever the strategy: every
genome evaluated is valid and within the budget range, none is evaluated twice, the same seed
gives the same result, and a search killed mid-run then resumed ends as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import pytest

from evogroup.core.cost import CostTable
from evogroup.core.loop import search
from evogroup.core.plugins import STRATEGIES, get_strategy
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome, SearchSpace
from evogroup.core.strategy import Strategy

CHANNELS = (32, 64, 64, 128, 128, 256, 256, 512)
SMALL = {"population": 12, "top_k": 4, "crossovers": 6, "mutations": 6, "iterations": 5}


def interacting_fitness(genome: Genome) -> float:
    r"""A deterministic fitness with neighbour interactions:
    :math:`f(G) = -\sum_l \log_2 G_l - \tfrac12 \sum_l |\log_2 G_l - \log_2 G_{l+1}|`."""
    logs = [g.bit_length() - 1 for g in genome]
    return -sum(logs) - 0.5 * sum(abs(a - b) for a, b in zip(logs, logs[1:]))


def contract_problem() -> Problem:
    """The contract's problem: 8 genes, an additive cost table, a budget range in the middle."""
    space = SearchSpace.from_channels(list(CHANNELS))
    cost = CostTable(
        [{g: 1e6 * c / g for g in layer.choices} for c, layer in zip(CHANNELS, space.layers)]
    )
    low, high = cost.min_cost, cost.max_cost
    return Problem(
        space,
        interacting_fitness,
        cost,
        budget=low + 0.4 * (high - low),
        budget_min=low + 0.1 * (high - low),
    )


class StrategyContract:
    """Checks that a strategy keeps the search loop's promises.

    Attributes:
        strategy: the strategy's registered name, or its :class:`Strategy` subclass.
        strategy_options: its options for every search of the contract.
        settings: sizes of the contract's searches (small, so each takes well under a second).
    """

    strategy: ClassVar[str | type[Strategy]] = ""
    strategy_options: ClassVar[dict[str, Any]] = {}
    settings: ClassVar[dict[str, int]] = SMALL

    @pytest.fixture(scope="class")
    def problem(self) -> Problem:
        return contract_problem()

    def run(self, problem: Problem, seed: int = 0, **files: Any) -> SearchResult:
        if not self.strategy:
            pytest.fail(f"{type(self).__name__} must set strategy")
        return search(
            problem,
            **self.settings,
            seed=seed,
            strategy=self.strategy,
            strategy_options=self.strategy_options,
            **files,
        )

    def test_is_a_strategy_with_a_summary(self) -> None:
        named = isinstance(self.strategy, str)
        cls = get_strategy(self.strategy) if named else self.strategy
        assert issubclass(cls, Strategy) and cls.summary
        assert not named or self.strategy in STRATEGIES.names()

    def test_every_genome_is_valid_and_within_the_budget_range(self, problem: Problem) -> None:
        result = self.run(problem)
        assert result.history, "the search evaluated nothing"
        for e in result.history:
            assert problem.space.validate(e.genome) == e.genome
            assert problem.budget_min <= problem.cost(e.genome) <= problem.budget, e.genome
        assert result.best.genome in {e.genome for e in result.history}

    def test_no_genome_is_evaluated_twice(self, problem: Problem) -> None:
        genomes = [e.genome for e in self.run(problem, seed=1).history]
        assert len(genomes) == len(set(genomes))

    def test_same_seed_same_result(self, problem: Problem) -> None:
        first, again = self.run(problem, seed=2), self.run(problem, seed=2)
        assert _genomes(again) == _genomes(first)
        assert again.best.genome == first.best.genome

    def test_killed_then_resumed_equals_uninterrupted(
        self, problem: Problem, tmp_path: Path
    ) -> None:
        expected = self.run(problem, seed=3)
        calls = {"n": 0}
        stop_at = len(expected.history) // 2 + 1

        def killed(genome: Genome) -> float:  # a kill mid-iteration: nothing after it runs
            calls["n"] += 1
            if calls["n"] == stop_at:
                raise KeyboardInterrupt
            return interacting_fitness(genome)

        files = {"checkpoint": tmp_path / "checkpoint.json", "log": tmp_path / "evaluations.jsonl"}
        with pytest.raises(KeyboardInterrupt):
            self.run(dataclasses.replace(problem, fitness=killed), seed=3, **files)
        resumed = self.run(problem, seed=3, **files)
        assert _genomes(resumed) == _genomes(expected)
        assert resumed.best.genome == expected.best.genome


def _genomes(result: SearchResult) -> list[tuple[int, Genome]]:
    return [(e.iteration, e.genome) for e in result.history]
