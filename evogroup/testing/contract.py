"""The backend contract: tests every evogroup backend must pass, to be subclassed by its suite.

Set the class attributes and pytest collects the inherited tests::

    class TestSynthetic(BackendContract):
        backend_name = "synthetic"
        budget = 0.8e8
        check_problem = True  # problem() is cheap here; for a backend that trains, leave False
"""

from __future__ import annotations

import math
import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import pytest

from evogroup.backend import Backend, Option, Run
from evogroup.cost import CostTable
from evogroup.errors import BackendError, InfeasibleBudgetError, InvalidGenomeError
from evogroup.plugins import GROUP, get_backend, list_backends
from evogroup.problem import Problem
from evogroup.space import SearchSpace


class BackendContract:
    """Checks that a backend is registered, and that its space, cost, options and budget
    checks behave as evogroup expects.

    Attributes:
        backend_name: the entry-point name of the backend (required).
        options: keyword options passed to every backend method.
        budget: a feasible budget; None means halfway between the min and max cost.
        infeasible_budget: a budget below the min cost; None means half the min cost.
        check_problem: also build :meth:`Backend.problem` and run a tiny search. Off by
            default, since for some backends ``problem()`` trains a network.
    """

    backend_name: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {}
    budget: ClassVar[float | None] = None
    infeasible_budget: ClassVar[float | None] = None
    check_problem: ClassVar[bool] = False

    # -- fixtures ------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    def backend(self) -> Backend:
        if not self.backend_name:
            pytest.fail(f"{type(self).__name__} must set backend_name")
        return get_backend(self.backend_name)

    @pytest.fixture(scope="class")
    def space(self, backend: Backend) -> SearchSpace:
        return backend.space(**self.options)

    @pytest.fixture(scope="class")
    def table(self, backend: Backend) -> CostTable:
        return backend.cost(**self.options)

    @pytest.fixture(scope="class")
    def feasible_budget(self, table: CostTable) -> float:
        return (table.min_cost + table.max_cost) / 2 if self.budget is None else self.budget

    # -- registration --------------------------------------------------------------------

    def test_registered_under_the_entry_point_group(self) -> None:
        names = {ep.name for ep in entry_points(group=GROUP)}
        assert self.backend_name in names, f"no {GROUP!r} entry point named {self.backend_name!r}"
        assert self.backend_name in list_backends()

    def test_get_backend_returns_it(self, backend: Backend) -> None:
        assert isinstance(backend, Backend)
        assert backend.name == self.backend_name
        assert isinstance(backend.summary, str) and backend.summary.strip()

    # -- space and cost ------------------------------------------------------------------

    def test_space_has_unique_names_and_choices(self, space: SearchSpace) -> None:
        assert isinstance(space, SearchSpace)
        assert len(set(space.names)) == len(space.names)
        for layer in space.layers:
            assert layer.choices, f"layer {layer.name!r} has no choices"
            assert all(isinstance(g, int) and g >= 1 for g in layer.choices)

    def test_cost_table_matches_the_space(self, space: SearchSpace, table: CostTable) -> None:
        assert isinstance(table, CostTable)
        table.check_space(space)
        assert math.isfinite(table.min_cost) and math.isfinite(table.max_cost)
        assert table.min_cost <= table.max_cost

    def test_cost_label_is_text(self, backend: Backend) -> None:
        label = backend.cost_label(**self.options)
        assert isinstance(label, str) and label.strip()

    def test_min_genome_fits_the_budget(self, table: CostTable, feasible_budget: float) -> None:
        assert table(table.min_genome()) <= feasible_budget, (
            f"budget {feasible_budget} is below the min cost {table.min_cost}"
        )

    def test_cost_report_agrees_with_the_table(
        self, backend: Backend, space: SearchSpace, table: CostTable
    ) -> None:
        for genome in (table.min_genome(), table.max_genome()):
            report = backend.cost_report(genome, **self.options)
            assert report["cost"] == pytest.approx(table(genome), rel=1e-12)
            assert [row["name"] for row in report["layers"]] == list(space.names)
            assert [row["groups"] for row in report["layers"]] == list(genome)

    # -- budgets -------------------------------------------------------------------------

    def test_feasible_budget_passes(self, backend: Backend, feasible_budget: float) -> None:
        backend.check_budget(feasible_budget, **self.options)

    def test_budget_below_min_cost_is_refused(self, backend: Backend, table: CostTable) -> None:
        budget = self.infeasible_budget
        budget = table.min_cost / 2 if budget is None else budget
        with pytest.raises(InfeasibleBudgetError, match="below") as info:
            backend.check_budget(budget, **self.options)
        assert info.value.min_cost == pytest.approx(table.min_cost)

    # -- options -------------------------------------------------------------------------

    def test_options_are_declared(self, backend: Backend) -> None:
        names = [option.name for option in backend.options]
        assert all(isinstance(option, Option) for option in backend.options)
        assert all(name.isidentifier() for name in names), names
        assert len(set(names)) == len(names), f"duplicate option names in {names}"
        assert set(self.options) <= set(names), "the contract's options are not the backend's"

    def test_defaults_fill_every_option(self, backend: Backend) -> None:
        filled = backend.defaults(**self.options)
        assert set(filled) == {option.name for option in backend.options}

    def test_unknown_option_is_refused(self, backend: Backend) -> None:
        with pytest.raises(BackendError, match="no_such_option"):
            backend.defaults(no_such_option=1)

    # -- genomes -------------------------------------------------------------------------

    def test_invalid_genome_names_the_layer(self, backend: Backend, space: SearchSpace) -> None:
        layer = space.layers[-1]
        genome = [lay.choices[0] for lay in space.layers]
        genome[-1] = layer.choices[-1] + 1  # larger than every choice, so not one of them
        with pytest.raises(InvalidGenomeError, match=re.escape(repr(layer.name))):
            backend.cost_report(genome, **self.options)

    def test_genome_of_wrong_length_is_refused(self, backend: Backend, space: SearchSpace) -> None:
        with pytest.raises(
            InvalidGenomeError, match=f"one group count per layer \\({len(space)}\\)"
        ):
            backend.cost_report([1] * (len(space) + 1), **self.options)

    # -- problem (opt-in) ----------------------------------------------------------------

    @pytest.fixture(scope="class")
    def problem(
        self, backend: Backend, feasible_budget: float, tmp_path_factory: pytest.TempPathFactory
    ) -> Problem:
        if not self.check_problem:
            pytest.skip(f"{type(self).__name__}.check_problem is False (problem() may train)")
        run = Run(Path(tmp_path_factory.mktemp("problem")), progress=False, echo=lambda _: None)
        return backend.problem(feasible_budget, run, **self.options)

    def test_problem_matches_space_cost_and_budget(
        self, problem: Problem, space: SearchSpace, table: CostTable, feasible_budget: float
    ) -> None:
        assert isinstance(problem, Problem)
        assert problem.space == space
        assert problem.budget == feasible_budget
        for genome in (table.min_genome(), table.max_genome()):
            assert problem.cost(genome) == pytest.approx(table(genome), rel=1e-12)

    def test_fitness_is_a_finite_number(self, problem: Problem, table: CostTable) -> None:
        value = problem.fitness(table.min_genome())
        assert math.isfinite(float(value))

    def test_a_tiny_search_stays_within_budget(self, problem: Problem) -> None:
        from evogroup.search import search

        result = search(problem, population=4, top_k=2, crossovers=2, mutations=2, iterations=1)
        assert result.best.cost <= problem.budget
        assert all(e.cost <= problem.budget for e in result.history)
