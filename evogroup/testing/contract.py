"""The backend contract: tests every evogroup backend must pass, to be subclassed by its suite.

Set the class attributes and pytest collects the inherited tests::

    class TestSynthetic(BackendContract):
        backend_name = "synthetic"
        budget = 0.8e8

The contract exercises the whole lifecycle on :attr:`BackendContract.options` — train
the supernet (when the backend has one), build the problem on it, run a tiny search,
train a genome from scratch — so choose options that make those steps take seconds
(e.g. a narrow width and one epoch).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import pytest

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.backend.registry import BACKENDS, get_backend, list_backends
from evogroup.core.cost import CostTable
from evogroup.core.errors import BackendError, InfeasibleBudgetError, InvalidGenomeError
from evogroup.core.problem import Problem
from evogroup.core.space import SearchSpace


class BackendContract:
    """Checks that a backend is registered, that its space, cost, options and budget checks
    behave as evogroup expects, and that its lifecycle steps work in order.

    Attributes:
        backend_name: the entry-point name of the backend (required).
        options: option values for every step (a tiny setting for the training steps).
        budget: a feasible budget; None means halfway between the min and max cost.
        infeasible_budget: a budget below the min cost; None means half the min cost.
    """

    backend_name: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {}
    budget: ClassVar[float | None] = None
    infeasible_budget: ClassVar[float | None] = None

    # -- fixtures ------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    def backend(self) -> Backend:
        if not self.backend_name:
            pytest.fail(f"{type(self).__name__} must set backend_name")
        return get_backend(self.backend_name)

    @pytest.fixture(scope="class")
    def opts(self, backend: Backend) -> BackendOptions:
        return backend.options(**self.options)

    @pytest.fixture(scope="class")
    def space(self, backend: Backend, opts: BackendOptions) -> SearchSpace:
        return backend.space(opts)

    @pytest.fixture(scope="class")
    def table(self, backend: Backend, opts: BackendOptions) -> CostTable:
        return backend.cost(opts)

    @pytest.fixture(scope="class")
    def feasible_budget(self, table: CostTable) -> float:
        return (table.min_cost + table.max_cost) / 2 if self.budget is None else self.budget

    # -- registration --------------------------------------------------------------------

    def test_loading_it_imports_no_torch(self, backend: Backend) -> None:
        """Listing backends and their options (``evogroup backends``, ``--help``) stays cheap:
        loading the entry point and reading its options and labels imports no torch."""
        code = (
            "import json, sys; sys.modules['torch'] = None\n"
            "from evogroup.backend.registry import get_backend\n"
            f"b = get_backend({self.backend_name!r})\n"
            f"print(b.cost_label(b.options(**json.loads({json.dumps(json.dumps(self.options))}))))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def test_registered_under_the_entry_point_group(self) -> None:
        names = {ep.name for ep in entry_points(group=BACKENDS.group)}
        assert self.backend_name in names, (
            f"no {BACKENDS.group!r} entry point named {self.backend_name!r}"
        )
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

    def test_cost_label_is_text(self, backend: Backend, opts: BackendOptions) -> None:
        label = backend.cost_label(opts)
        assert isinstance(label, str) and label.strip()

    def test_min_genome_fits_the_budget(self, table: CostTable, feasible_budget: float) -> None:
        assert table(table.min_genome()) <= feasible_budget, (
            f"budget {feasible_budget} is below the min cost {table.min_cost}"
        )

    def test_cost_report_agrees_with_the_table(
        self, backend: Backend, opts: BackendOptions, space: SearchSpace, table: CostTable
    ) -> None:
        for genome in (table.min_genome(), table.max_genome()):
            report = backend.cost_report(genome, opts)
            assert report["cost"] == pytest.approx(table(genome), rel=1e-12)
            assert [row["name"] for row in report["layers"]] == list(space.names)
            assert [row["groups"] for row in report["layers"]] == list(genome)

    # -- budgets -------------------------------------------------------------------------

    def test_feasible_budget_passes(
        self, backend: Backend, opts: BackendOptions, feasible_budget: float
    ) -> None:
        backend.check_budget(feasible_budget, opts)

    def test_budget_below_min_cost_is_refused(
        self, backend: Backend, opts: BackendOptions, table: CostTable
    ) -> None:
        budget = self.infeasible_budget
        budget = table.min_cost / 2 if budget is None else budget
        with pytest.raises(InfeasibleBudgetError, match="below") as info:
            backend.check_budget(budget, opts)
        assert info.value.min_cost == pytest.approx(table.min_cost)

    # -- options -------------------------------------------------------------------------

    def test_options_are_a_typed_dataclass(self, backend: Backend, opts: BackendOptions) -> None:
        assert issubclass(backend.Options, BackendOptions)
        names = [f.name for f in backend.Options.fields()]
        assert set(self.options) <= set(names), "the contract's options are not the backend's"
        assert backend.Options.parse(backend.name, opts.to_json()) == opts

    def test_unknown_option_is_refused(self, backend: Backend) -> None:
        with pytest.raises(BackendError, match="no_such_option"):
            backend.options(no_such_option=1)

    def test_a_value_of_the_wrong_type_is_refused(self, backend: Backend) -> None:
        for f in backend.Options.fields():
            wrong = 1.5 if f.type in (str, int, bool) else "x"
            with pytest.raises(ValueError, match=re.escape(f.name)):
                backend.options(**{f.name: wrong})

    # -- genomes -------------------------------------------------------------------------

    def test_invalid_genome_names_the_layer(
        self, backend: Backend, opts: BackendOptions, space: SearchSpace
    ) -> None:
        layer = space.layers[-1]
        genome = [lay.choices[0] for lay in space.layers]
        genome[-1] = layer.choices[-1] + 1  # larger than every choice, so not one of them
        with pytest.raises(InvalidGenomeError, match=re.escape(repr(layer.name))):
            backend.cost_report(genome, opts)

    def test_genome_of_wrong_length_is_refused(
        self, backend: Backend, opts: BackendOptions, space: SearchSpace
    ) -> None:
        with pytest.raises(
            InvalidGenomeError, match=f"one group count per layer \\({len(space)}\\)"
        ):
            backend.cost_report([1] * (len(space) + 1), opts)

    # -- lifecycle: supernet, problem, search, training ------------------------------------

    @pytest.fixture(scope="class")
    def workdir(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return Path(tmp_path_factory.mktemp(f"contract-{self.backend_name}"))

    @pytest.fixture(scope="class")
    def supernet(self, backend: Backend, opts: BackendOptions, workdir: Path) -> Path | None:
        if not backend.needs_supernet:
            with pytest.raises(BackendError):
                backend.train_supernet(_quiet_run(workdir / "none"), opts)
            return None
        path = backend.train_supernet(_quiet_run(workdir / "supernet"), opts)
        assert Path(path).is_file(), f"train_supernet returned {path}, which is not a file"
        return Path(path)

    @pytest.fixture(scope="class")
    def problem(
        self,
        backend: Backend,
        opts: BackendOptions,
        feasible_budget: float,
        supernet: Path | None,
        workdir: Path,
    ) -> Problem:
        run = _quiet_run(workdir / "search")
        problem = backend.problem(feasible_budget, run, opts, supernet)
        written = {p.name for p in run.dir.iterdir()} - {run.layout.fitness.name}
        assert not written, f"problem() must not train, but it wrote {sorted(written)}"
        return problem

    def test_problem_matches_space_cost_and_budget(
        self, problem: Problem, space: SearchSpace, table: CostTable, feasible_budget: float
    ) -> None:
        assert isinstance(problem, Problem)
        assert problem.space == space
        assert problem.budget == feasible_budget
        for genome in (table.min_genome(), table.max_genome()):
            assert problem.cost(genome) == pytest.approx(table(genome), rel=1e-12)

    def test_a_supernet_fitness_is_declared_a_proxy(self, backend: Backend, problem: Problem):
        """A weight-sharing supernet's score stands in for the retrained network's; strategies
        read :attr:`Problem.proxy` to recommend accordingly."""
        assert problem.proxy == backend.needs_supernet

    def test_fitness_is_finite_and_repeatable(self, problem: Problem, table: CostTable) -> None:
        genome = table.min_genome()
        first = problem.fitness(genome)
        assert math.isfinite(float(first))
        assert problem.fitness(genome) == first, "the same genome scored twice differs"

    def test_a_tiny_search_stays_within_budget(self, problem: Problem) -> None:
        from evogroup.core.loop import search

        result = search(problem, population=4, top_k=2, crossovers=2, mutations=2, iterations=1)
        assert result.best.cost <= problem.budget
        assert all(e.cost <= problem.budget for e in result.history)

    def test_train_reports_accuracy_and_repeats_with_its_seed(
        self, backend: Backend, opts: BackendOptions, table: CostTable, workdir: Path
    ) -> None:
        genome = table.min_genome()
        first = backend.train(genome, _quiet_run(workdir / "train-a", seed=3), opts)
        assert isinstance(first, TrainResult)
        assert 0.0 <= first.top1 <= 100.0
        assert first.top5 is None or first.top1 <= first.top5 <= 100.0
        assert (first.seed, tuple(first.genome)) == (3, tuple(genome))
        assert first.cost == pytest.approx(table(genome), rel=1e-12)
        again = backend.train(genome, _quiet_run(workdir / "train-b", seed=3), opts)
        assert again.top1 == first.top1, "the same seed trained twice gives another accuracy"


def _quiet_run(directory: Path, seed: int = 0) -> Run:
    directory.mkdir(parents=True, exist_ok=True)
    return Run(directory, seed=seed, echo=lambda _: None, progress=False)
